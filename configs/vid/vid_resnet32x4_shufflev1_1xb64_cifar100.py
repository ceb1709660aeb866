# VID, ResNet32x4 -> ShuffleNetV1, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both
# (layer1-3 of both; each teacher map (32/16/8 px) is pooled to the student's (16/8/4
# px)), a 1x1-conv regressor and a trainable variance per teacher channel (initial 5),
# weight 1, CE weight 1, lr 0.01 (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
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
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[64, 128, 256],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
