# AT (Zagoruyko & Komodakis, ICLR 2017), vgg13 -> mobilenetv2, CIFAR-100
# (methods_feature.md 3.2, mdistiller's settings): feats[1:] of both (the stages without
# the stem: teacher relu1-4 (16/8/4/4 px), student blocks.1/2/4/6 (16/8/4/2 px), paired
# in order, the larger map of a pair average-pooled to the smaller), p 2, weight 1000,
# CE 1; lr from the pair base. RepDistiller reports 59.40 (spec 5.2).
_base_ = [
    '../_base_/pairs/vgg13_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.blocks.1',
        'backbone.blocks.2',
        'backbone.blocks.4',
        'backbone.blocks.6',
    ]),
    teacher_taps=dict(feats=[
        'backbone.relu1',
        'backbone.relu2',
        'backbone.relu3',
        'backbone.relu4',
    ]),
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)
