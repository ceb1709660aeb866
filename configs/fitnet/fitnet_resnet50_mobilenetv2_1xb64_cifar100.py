# FitNet, ResNet50 -> MobileNetV2, CIFAR-100 (methods_feature.md 3.1): hint on feats[2]
# (mdistiller HINT_LAYER 2, the zoo's default taps with the stem at index 0), here
# teacher layer2 512@16, student blocks.2 16@8: transposed conv; hint weight 100, CE
# weight 1, lr 0.01 (pair base). RepDistiller reports 63.16 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=16,
            teacher_channels=512,
            student_size=8,
            teacher_size=16,
            hint_stage=2,
            loss_weight=100.0)),
    student_loss_weight=1.0)
