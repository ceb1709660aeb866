# NST (Huang & Wang, 2017), resnet56 -> resnet20, CIFAR-100 (methods_feature.md 3.3,
# mdistiller's settings): feats[1:] of both (the stages without the stem), weight 50, CE
# 1; lr from the pair base. RepDistiller reports 69.60 (spec 5.1).
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    teacher_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=50.0)),
    student_loss_weight=1.0)
