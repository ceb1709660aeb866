# MobileNetV1 (width 1.0) for ImageNet, the ResNet-50 -> MobileNet student of mdistiller
# and ReviewKD, with their module names: convert their checkpoints with
# tools/model_converters/torchvision_to_mmpretrain.py SRC DST --arch mobilenet_v1
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MobileNetV1', out_indices=(13, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear initialisation, as the original `fc`.
        init_cfg=None,
    ))
