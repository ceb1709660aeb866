# ResNet18 of Tf-KD's CIFAR-100 runs
# (yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3: model/resnet.py,
# kuangliu/pytorch-cifar's CIFAR ResNet: 3x3 stride-1 stem, no max-pool, BasicBlocks
# 2-2-2-2 of 64-512 channels), which is MMPretrain's ResNet_CIFAR(depth=18); the original
# names its projections `shortcut` and its classifier `linear`: convert its checkpoints
# with tools/model_converters/tfkd_to_mmpretrain.py SRC DST --arch ResNet18. PyTorch's
# default initialisation everywhere, as the original (no Kaiming init, no zero-initialised
# last BN per block).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        out_indices=(3, ),
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        init_cfg=None,
    ))
