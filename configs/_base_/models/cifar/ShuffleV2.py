# `ShuffleV2` of the CRD CIFAR-100 model zoo (RepDistiller / mdistiller), with the
# original module names: convert its checkpoints with
# tools/model_converters/mdistiller_to_mmpretrain.py SRC DST --arch ShuffleV2
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='CIFARShuffleNetV2', channels=(116, 232, 464, 1024), num_blocks=(3, 7, 3)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear initialisation, as the original `linear`.
        init_cfg=None,
    ))
