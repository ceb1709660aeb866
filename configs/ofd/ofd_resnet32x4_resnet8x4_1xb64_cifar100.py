# OFD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage maps
# (the residual sums before each stage's last ReLU; margins from the teacher's bn2 of
# the last block of each stage); weight 1e-3 (the original's sum / batch / 1000), CE
# weight 1, lr 0.05 (pair base). The teacher's BNs stay in train mode as in the original
# (teacher_norm_train).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.layer1.0.relu_out:input',
        'backbone.layer2.0.relu_out:input',
        'backbone.layer3.0.relu_out:input',
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
            student_channels=[64, 128, 256],
            teacher_channels=[64, 128, 256],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
