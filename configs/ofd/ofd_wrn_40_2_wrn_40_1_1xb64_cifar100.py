# OFD, WRN-40-2 -> WRN-40-1, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage maps
# (each stage output through the BN before the next ReLU (mdistiller's WRN
# preact_feats); margins from those BNs of the teacher); weight 1e-3 (the original's sum
# / batch / 1000), CE weight 1, lr 0.05 (pair base). The teacher's BNs stay in train
# mode as in the original (teacher_norm_train). Reported: 74.33 (paper tables as quoted
# in spec 5.1, [paper*]).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.block2.layer.0.bn1',
            'backbone.block3.layer.0.bn1',
            'backbone.bn1',
        ],
        preact_bn=[
            'backbone.block2.layer.0.bn1:module',
            'backbone.block3.layer.0.bn1:module',
            'backbone.bn1:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[16, 32, 64],
            teacher_channels=[32, 64, 128],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
