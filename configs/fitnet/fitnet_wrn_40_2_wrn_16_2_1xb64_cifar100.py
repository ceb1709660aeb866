# FitNet, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_feature.md 3.1): hint on feats[2]
# (mdistiller HINT_LAYER 2, the zoo's default taps with the stem at index 0), here
# block2 of both (raw block output, as mdistiller), 64@16 -> 64@16: 1x1 conv; hint
# weight 100, CE weight 1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=64,
            teacher_channels=64,
            hint_stage=2,
            loss_weight=100.0)),
    student_loss_weight=1.0)
