# VID, VGG13 -> VGG8, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both (relu1-4 of
# both), a 1x1-conv regressor and a trainable variance per teacher channel (initial 5),
# weight 1, CE weight 1, lr 0.05 (pair base). RepDistiller reports 71.23 (spec 5.1).
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
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[128, 256, 512, 512],
            teacher_channels=[128, 256, 512, 512],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
