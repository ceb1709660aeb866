# ReviewKD, ResNet110 -> ResNet32, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in/out channels 16, 32, 64, 64, mid 64, lambda 1, warm-up 20 epochs.
# Student levels: its post-ReLU stage outputs + pooled vector; teacher: its pre-ReLU
# stage outputs + pooled vector. mdistiller's protocol (batch 64, SGD without Nesterov,
# teacher in eval mode), CE weight 1, lr 0.05 (pair base); the official CIFAR code uses
# batch 128, lr 0.1, Nesterov and a train-mode teacher. Reported: 73.89 (paper tables as
# quoted in spec 5.1, [paper*]).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
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
        'backbone.layer1.17.relu_out:input',
        'backbone.layer2.17.relu_out:input',
        'backbone.layer3.17.relu_out:input',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[16, 32, 64, 64],
            teacher_channels=[16, 32, 64, 64],
            warmup_epochs=20,
            loss_weight=1.0)),
    student_loss_weight=1.0)
