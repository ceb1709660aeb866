# VID, ResNet50 -> MobileNetV2, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both
# (teacher layer1-4 (32/16/8/4 px), student blocks.1/2/4/6 (16/8/4/2 px); the larger map
# of a pair is average-pooled to the smaller), a 1x1-conv regressor and a trainable
# variance per teacher channel (initial 5), weight 1, CE weight 1, lr 0.01 (pair base).
# RepDistiller reports 67.57 (spec 5.2).
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
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[12, 16, 48, 160],
            teacher_channels=[256, 512, 1024, 2048],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
