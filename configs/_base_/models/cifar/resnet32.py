# `resnet32` of the CRD CIFAR-100 model zoo (RepDistiller / mdistiller), with the
# original module names: convert its checkpoints with
# tools/model_converters/mdistiller_to_mmpretrain.py SRC DST --arch resnet32
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', depth=32, channels=(16, 16, 32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear initialisation, as the original `fc`.
        init_cfg=None,
    ))
