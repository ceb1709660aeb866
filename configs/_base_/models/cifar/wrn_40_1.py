# `wrn_40_1` of the CRD CIFAR-100 model zoo (RepDistiller / mdistiller), with the
# original module names: convert its checkpoints with
# tools/model_converters/mdistiller_to_mmpretrain.py SRC DST --arch wrn_40_1
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear weight initialisation and a zero bias, as the
        # original `fc`.
        init_cfg=dict(
            type='Kaiming',
            layer='Linear',
            a=5**0.5,
            mode='fan_in',
            nonlinearity='leaky_relu',
            distribution='uniform',
            bias=0),
    ))
