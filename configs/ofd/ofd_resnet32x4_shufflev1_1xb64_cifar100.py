# OFD, ResNet32x4 -> ShuffleNetV1, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage
# maps (student: the sums before each stage's last ReLU; teacher as for ResNet8x4,
# pooled to the student's sizes; margins from the teacher's bn2 (mdistiller cannot run
# this pair: ShuffleV1 has no get_stage_channels)); weight 1e-3 (the original's sum /
# batch / 1000), CE weight 1, lr 0.01 (pair base). The original trains with the teacher
# in train mode, as here (teacher_norm_train).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.layer1.3.relu_out:input',
        'backbone.layer2.7.relu_out:input',
        'backbone.layer3.3.relu_out:input',
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
            student_channels=[240, 480, 960],
            teacher_channels=[64, 128, 256],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
