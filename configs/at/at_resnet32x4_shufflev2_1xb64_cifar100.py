# AT (Zagoruyko & Komodakis, ICLR 2017), resnet32x4 -> shufflev2, CIFAR-100
# (methods_feature.md 3.2, mdistiller's settings): feats[1:] of both (the stages without
# the stem: teacher layer1-3 (32/16/8 px), student layer1-3 (16/8/4 px), paired in
# order, the larger map of a pair average-pooled to the smaller), p 2, weight 1000, CE
# 1; lr from the pair base. RepDistiller reports 72.73 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
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
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)
