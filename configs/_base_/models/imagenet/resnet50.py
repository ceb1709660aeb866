# ResNet-50 for ImageNet: MMPretrain's ResNet in the torchvision layout (style 'pytorch',
# the stride on the 3x3 conv), the teacher/student of the ImageNet distillation pairs;
# the same model as MMPretrain's configs/_base_/models/resnet50.py.
# torchvision weights convert into it with
# tools/model_converters/torchvision_to_mmpretrain.py SRC DST --arch resnet50
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ))
