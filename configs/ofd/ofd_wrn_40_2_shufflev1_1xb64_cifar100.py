# OFD, WRN-40-2 -> ShuffleNetV1, CIFAR-100 (methods_feature.md 3.9): pre-ReLU stage maps
# (student: the sums before each stage's last ReLU; teacher: each stage output through
# the BN before the next ReLU (mdistiller's WRN preact_feats), pooled to the student's
# sizes; margins from those BNs of the teacher); weight 1e-3 (the original's sum / batch
# / 1000), CE weight 1, lr 0.01 (pair base). The teacher's BNs stay in train mode as in
# the original (teacher_norm_train). Reported: 75.85 (paper tables as quoted in spec
# 5.2, [paper*]). mdistiller cannot run a ShuffleNetV1 student (no get_stage_channels);
# the spec notes that the cross-architecture OFD numbers come from the ReviewKD paper
# (3.9).
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
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
            'backbone.block2.layer.0.bn1',
            'backbone.block3.layer.0.bn1',
            'backbone.bn1',
        ],
        preact_bn=[
            'backbone.block2.layer.0.bn1:module',
            'backbone.block3.layer.0.bn1:module',
            'backbone.bn1:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[32, 64, 128],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
