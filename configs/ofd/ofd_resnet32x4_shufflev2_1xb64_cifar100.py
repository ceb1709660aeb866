# OFD, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage
# maps (student: each stage's last concatenation before its channel shuffle (the zoo's
# preact_feats); teacher: the residual sums before each stage's last ReLU, pooled to the
# student's sizes; margins from the teacher's bn2 of the last block of each stage);
# weight 1e-3 (the original's sum / batch / 1000), CE weight 1, lr 0.01 (pair base). The
# teacher's BNs stay in train mode as in the original (teacher_norm_train). Reported:
# 76.82 (paper tables as quoted in spec 5.2, [paper*]).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.layer1.3.preact',
        'backbone.layer2.7.preact',
        'backbone.layer3.3.preact',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.layer1.4.relu_out:input',
            'backbone.layer2.4.relu_out:input',
            'backbone.layer3.4.relu_out:input',
        ],
        preact_bn=[
            'backbone.layer1.4.bn2:module',
            'backbone.layer2.4.bn2:module',
            'backbone.layer3.4.bn2:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[116, 232, 464],
            teacher_channels=[64, 128, 256],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
