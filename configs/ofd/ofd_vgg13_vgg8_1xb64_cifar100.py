# OFD, VGG13 -> VGG8, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage maps (the group
# outputs before their ReLU; margins from the last BN of the teacher's groups 1-4
# (block<k>.4)); weight 1e-3 (the original's sum / batch / 1000), CE weight 1, lr 0.05
# (pair base). The teacher's BNs stay in train mode as in the original
# (teacher_norm_train). Reported: 73.95 (paper tables as quoted in spec 5.1, [paper*]).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.relu1:input',
        'backbone.relu2:input',
        'backbone.relu3:input',
        'backbone.relu4:input',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.relu1:input',
            'backbone.relu2:input',
            'backbone.relu3:input',
            'backbone.relu4:input',
        ],
        preact_bn=[
            'backbone.block1.4:module',
            'backbone.block2.4:module',
            'backbone.block3.4:module',
            'backbone.block4.4:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[128, 256, 512, 512],
            teacher_channels=[128, 256, 512, 512],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
