# ReviewKD, WRN-40-2 -> WRN-40-1, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in channels 16, 32, 64, 64, out 32, 64, 128, 128, mid 64, lambda 5,
# warm-up 20 epochs. Student levels: its post-ReLU stage outputs + pooled vector;
# teacher: its pre-ReLU stage outputs + pooled vector. mdistiller's protocol (batch 64,
# SGD without Nesterov, teacher in eval mode), CE weight 1, lr 0.05 (pair base); the
# official CIFAR code uses batch 128, lr 0.1, Nesterov and a train-mode teacher.
# Reported: 75.09 (paper tables as quoted in spec 5.1, [paper*]).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.block1',
        'backbone.block2',
        'backbone.block3',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[16, 32, 64, 64],
            teacher_channels=[32, 64, 128, 128],
            warmup_epochs=20,
            loss_weight=5.0)),
    student_loss_weight=1.0)
