# NST (Huang & Wang, 2017), wrn_40_2 -> wrn_40_1, CIFAR-100 (methods_feature.md 3.3,
# mdistiller's settings): feats[1:] of both (the stages without the stem), weight 50, CE
# 1; lr from the pair base. RepDistiller reports 72.24 (spec 5.1).
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
    distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=50.0)),
    student_loss_weight=1.0)
