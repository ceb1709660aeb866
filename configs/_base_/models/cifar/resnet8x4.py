# `resnet8x4` of the CRD CIFAR-100 model zoo (RepDistiller / mdistiller), with the
# original module names: convert its checkpoints with
# tools/model_converters/mdistiller_to_mmpretrain.py SRC DST --arch resnet8x4
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=8, channels=(32, 64, 128, 256)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear initialisation, as the original `fc`.
        init_cfg=None,
    ))
