# AT (Zagoruyko & Komodakis, ICLR 2017), wrn_40_2 -> wrn_16_2, CIFAR-100
# (methods_feature.md 3.2, mdistiller's settings): feats[1:] of both (the stages without
# the stem), p 2, weight 1000, CE 1; lr from the pair base.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
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
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)
