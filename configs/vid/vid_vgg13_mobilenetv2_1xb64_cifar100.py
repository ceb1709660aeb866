# VID, VGG13 -> MobileNetV2, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both
# (teacher relu1-4 (16/8/4/4 px), student blocks.1/2/4/6 (16/8/4/2 px); the larger map
# of a pair is average-pooled to the smaller), a 1x1-conv regressor and a trainable
# variance per teacher channel (initial 5), weight 1, CE weight 1, lr 0.01 (pair base).
# RepDistiller reports 65.56 (spec 5.2).
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
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[12, 16, 48, 160],
            teacher_channels=[128, 256, 512, 512],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
