# ReviewKD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in/out channels 64, 128, 256, 256, mid 256, lambda 5, warm-up 20
# epochs. Student levels: its post-ReLU stage outputs + pooled vector; teacher: its
# pre-ReLU stage outputs + pooled vector. mdistiller's protocol (batch 64, SGD without
# Nesterov, teacher in eval mode), CE weight 1, lr 0.05 (pair base); the official CIFAR
# code uses batch 128, lr 0.1 (0.02 for ShuffleNet), Nesterov and a train-mode teacher.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
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
        'backbone.layer1.4.relu_out:input',
        'backbone.layer2.4.relu_out:input',
        'backbone.layer3.4.relu_out:input',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[64, 128, 256, 256],
            teacher_channels=[64, 128, 256, 256],
            warmup_epochs=20,
            loss_weight=5.0)),
    student_loss_weight=1.0)
