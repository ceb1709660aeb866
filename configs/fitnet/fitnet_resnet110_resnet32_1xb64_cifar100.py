# FitNet, ResNet110 -> ResNet32, CIFAR-100 (methods_feature.md 3.1): hint on feats[2]
# (mdistiller HINT_LAYER 2, the zoo's default taps with the stem at index 0), here
# layer2 of both, 32@16 -> 32@16: 1x1 conv; hint weight 100, CE weight 1, lr 0.05 (pair
# base). RepDistiller reports 71.06 (spec 5.1).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=32,
            teacher_channels=32,
            hint_stage=2,
            loss_weight=100.0)),
    student_loss_weight=1.0)
