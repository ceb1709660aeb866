# ReviewKD, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_feature.md 3.10, official
# build_review_kd): in channels 116, 232, 464, 1024, out 64, 128, 256, 256, mid 512,
# lambda 8, warm-up 20 epochs. Student levels: its post-ReLU stage outputs + pooled
# vector; teacher: its pre-ReLU stage outputs + pooled vector. mdistiller's protocol
# (batch 64, SGD without Nesterov, teacher in eval mode), CE weight 1, lr 0.01 (pair
# base); the official CIFAR code uses batch 128, lr 0.02, Nesterov and a train-mode
# teacher. Reported: 77.78 (paper tables as quoted in spec 5.2, [paper*]).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
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
            student_channels=[116, 232, 464, 1024],
            teacher_channels=[64, 128, 256, 256],
            warmup_epochs=20,
            loss_weight=8.0)),
    student_loss_weight=1.0)
