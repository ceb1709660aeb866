# `vgg13` of the CRD CIFAR-100 model zoo (RepDistiller / mdistiller), with the
# original module names: convert its checkpoints with
# tools/model_converters/mdistiller_to_mmpretrain.py SRC DST --arch vgg13
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARVGG', depth=13),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # LinearClsHead's default N(0, 0.01) weights and zero bias, as the original
        # `classifier`.
    ))
