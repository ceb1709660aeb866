# FCFD, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_feature.md 3.12; reference
# experiments/cifar/wrn_16_2-wrn_40_2.yaml): 4 stages (conv1, block1, block2, block3 +
# the final bn1), raw block outputs ('beforebn': bridges into a WRN have no
# activation), L2 weight 5 with a 20-epoch warm-up, KD at T 4 (weight 1), mixed-path KL
# weight 0.2, CE weight 1. Teacher BN in train mode, Nesterov, lr 0.05, batch 64.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

_taps = dict(
    feats=['backbone.block1', 'backbone.block2', 'backbone.bn1'],
    stages=['backbone.block2:module', 'backbone.block3:module', 'backbone.bn1:module'])
model = dict(
    student_taps=_taps,
    teacher_taps=_taps,
    distill_losses=dict(
        loss_fcfd=dict(
            type='FCFDLoss',
            student_channels=[32, 64, 128],
            teacher_channels=[32, 64, 128],
            student_sizes=[32, 16, 8],
            teacher_sizes=[32, 16, 8],
            student_stage_input='beforebn',
            teacher_stage_input='beforebn',
            student_stage_modules=[1, 2],
            teacher_stage_modules=[1, 2],
            temperature=4.0,
            kd_weight=1.0,
            mix_weight=0.2,
            l2_weight=5.0,
            warmup_epochs=20)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
