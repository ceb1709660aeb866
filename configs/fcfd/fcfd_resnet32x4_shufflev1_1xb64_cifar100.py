# FCFD, ResNet32x4 -> ShuffleNetV1, CIFAR-100 (methods_feature.md 3.12; reference
# pair ShuffleV1-resnet32x4): 4 stages. The reference splits ShuffleNetV1 before the
# ReLU of each stage ('beforerelu'): its stage outputs (the student features bridged
# into teacher space) are the pre-ReLU maps, bridges into the student have no
# activation and the student's next stage starts with a ReLU. L2 weight 5 with a
# 20-epoch warm-up, KD at T 8 (weight 1), mixed-path KL weight 1, CE weight 1. Teacher
# BN in train mode, Nesterov, lr 0.01 (from the base), batch 64.
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(
        feats=[
            'backbone.layer1.3.relu_out:input',
            'backbone.layer2.7.relu_out:input',
            'backbone.layer3.3.relu_out:input',
        ],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    teacher_taps=dict(
        feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    distill_losses=dict(
        loss_fcfd=dict(
            type='FCFDLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[64, 128, 256],
            student_sizes=[16, 8, 4],
            teacher_sizes=[32, 16, 8],
            student_stage_input='beforerelu',
            teacher_stage_input='afterrelu',
            temperature=8.0,
            kd_weight=1.0,
            mix_weight=1.0,
            l2_weight=5.0,
            warmup_epochs=20)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
