# NST (Huang & Wang, 2017), vgg13 -> vgg8, CIFAR-100 (methods_feature.md 3.3,
# mdistiller's settings): feats[1:] of both, weight 50, CE 1; lr from the pair base.
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.relu1',
        'backbone.relu2',
        'backbone.relu3',
        'backbone.relu4',
    ]),
    teacher_taps=dict(feats=[
        'backbone.relu1',
        'backbone.relu2',
        'backbone.relu3',
        'backbone.relu4',
    ]),
    distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=50.0)),
    student_loss_weight=1.0)
