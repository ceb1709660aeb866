# NST (Huang & Wang, 2017), resnet50 -> mobilenetv2, CIFAR-100 (methods_feature.md 3.3,
# mdistiller's settings): feats[1:] of both (the stages without the stem: teacher
# layer1-4 (32/16/8/4 px), student blocks.1/2/4/6 (16/8/4/2 px), paired in order, the
# larger map of a pair average-pooled to the smaller), weight 50, CE 1; lr from the pair
# base. RepDistiller reports 64.96 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
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
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
        'backbone.layer4',
    ]),
    distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=50.0)),
    student_loss_weight=1.0)
