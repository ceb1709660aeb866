# VID, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both
# (teacher layer1-3 (32/16/8 px), student layer1-3 (16/8/4 px); the larger map of a pair
# is average-pooled to the smaller), a 1x1-conv regressor and a trainable variance per
# teacher channel (initial 5), weight 1, CE weight 1, lr 0.01 (pair base). RepDistiller
# reports 73.40 (spec 5.2).
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
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[116, 232, 464],
            teacher_channels=[64, 128, 256],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
