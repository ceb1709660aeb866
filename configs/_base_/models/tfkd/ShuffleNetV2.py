# ShuffleNetV2 of Tf-KD's CIFAR-100 runs (yuanli2333/Teacher-free-Knowledge-Distillation@
# d000ab3:model/shufflenetv2.py, the layout of weiaicunzai/pytorch-cifar100, ratio 1; not
# the CRD zoo's `ShuffleV2`), with the original module names: convert its checkpoints
# with tools/model_converters/tfkd_to_mmpretrain.py SRC DST --arch ShuffleNetV2
model = dict(
    type='ImageClassifier',
    backbone=dict(type='StageShuffleNetV2', ratio=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default Linear initialisation, as the original `fc`.
        init_cfg=None,
    ))
