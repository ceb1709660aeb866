# VID, WRN-40-2 -> WRN-40-1, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both
# (block1-3 of both (raw block outputs, as mdistiller)), a 1x1-conv regressor and a
# trainable variance per teacher channel (initial 5), weight 1, CE weight 1, lr 0.05
# (pair base). RepDistiller reports 73.30 (spec 5.1).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.block1',
        'backbone.block2',
        'backbone.block3',
    ]),
    teacher_taps=dict(feats=[
        'backbone.block1',
        'backbone.block2',
        'backbone.block3',
    ]),
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[16, 32, 64],
            teacher_channels=[32, 64, 128],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
