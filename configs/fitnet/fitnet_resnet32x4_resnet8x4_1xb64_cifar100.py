# FitNet, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.1): hint on feats[2]
# (mdistiller HINT_LAYER 2, the zoo's default taps with the stem at index 0), here
# layer2 of both, 128@16 -> 128@16: 1x1 conv; hint weight 100, CE weight 1, lr 0.05
# (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=128,
            teacher_channels=128,
            hint_stage=2,
            loss_weight=100.0)),
    student_loss_weight=1.0)
