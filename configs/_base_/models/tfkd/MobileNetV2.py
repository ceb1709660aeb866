# MobileNetV2 of Tf-KD's CIFAR-100 runs (yuanli2333/Teacher-free-Knowledge-Distillation@
# d000ab3:model/mobilenetv2.py, the layout of weiaicunzai/pytorch-cifar100; not the CRD
# zoo's `mobile_half`), with the original module names; its 1x1-conv classifier `conv2`
# becomes head.fc: convert its checkpoints with
# tools/model_converters/tfkd_to_mmpretrain.py SRC DST --arch MobileNetV2
model = dict(
    type='ImageClassifier',
    backbone=dict(type='StageMobileNetV2'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # PyTorch's default initialisation of the original 1x1 conv `conv2`: the same
        # distribution as nn.Linear's (fan-in 1280).
        init_cfg=None,
    ))
