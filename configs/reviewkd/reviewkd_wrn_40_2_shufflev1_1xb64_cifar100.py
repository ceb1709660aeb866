# ReviewKD, WRN-40-2 -> ShuffleNetV1, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in channels 240, 480, 960, 960, out 32, 64, 128, 128, mid 512,
# lambda 5, warm-up 20 epochs. Student levels: its post-ReLU stage outputs + pooled
# vector; teacher: its pre-ReLU stage outputs + pooled vector. mdistiller's protocol
# (batch 64, SGD without Nesterov, teacher in eval mode), CE weight 1, lr 0.01 (pair
# base); the official CIFAR code uses batch 128, lr 0.02, Nesterov and a train-mode
# teacher. Reported: 77.14 (paper tables as quoted in spec 5.2, [paper*]).
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
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
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[240, 480, 960, 960],
            teacher_channels=[32, 64, 128, 128],
            warmup_epochs=20,
            loss_weight=5.0)),
    student_loss_weight=1.0)
