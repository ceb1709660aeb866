# ReviewKD, VGG13 -> MobileNetV2, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in channels 12, 16, 48, 160, 1280, out 128, 256, 512, 512, 512, mid
# 512, lambda 5 (the spec is silent: the official reviewKD.sh runs no such pair; the
# method's default, mdistiller's REVIEWKD_WEIGHT), warm-up 20 epochs. Student levels:
# its post-ReLU stage outputs + pooled vector; teacher: its pre-ReLU stage outputs +
# pooled vector. mdistiller's protocol (batch 64, SGD without Nesterov, teacher in eval
# mode), CE weight 1, lr 0.01 (pair base); the official CIFAR code uses batch 128, lr
# 0.02, Nesterov and a train-mode teacher. Reported: 70.37 (paper tables as quoted in
# spec 5.2, [paper*]).
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
    teacher_taps=dict(preact_feats=[
        'backbone.relu1:input',
        'backbone.relu2:input',
        'backbone.relu3:input',
        'backbone.relu4:input',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[12, 16, 48, 160, 1280],
            teacher_channels=[128, 256, 512, 512, 512],
            warmup_epochs=20,
            loss_weight=5.0)),
    student_loss_weight=1.0)
