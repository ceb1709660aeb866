# FCFD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.12; reference
# LiuDongyang6/FCFD experiments/cifar resnet8x4-resnet32x4): 4 stages (stem, layer1-3),
# bridges both ways, 2 sampled mixed paths per step, L2 weight 5 with a 20-epoch warm-up,
# KD at T 4 (weight 1), mixed-path KL weight 1, CE weight 1. As the reference: the
# teacher's BN layers stay in train mode (batch statistics; the mixed paths keep their
# own per-path BN statistics), SGD with Nesterov, lr 0.05, batch 64, 240 epochs.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(
        feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    teacher_taps=dict(
        feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    distill_losses=dict(
        loss_fcfd=dict(
            type='FCFDLoss',
            student_channels=[64, 128, 256],
            teacher_channels=[64, 128, 256],
            student_sizes=[32, 16, 8],
            teacher_sizes=[32, 16, 8],
            temperature=4.0,
            kd_weight=1.0,
            mix_weight=1.0,
            l2_weight=5.0,
            warmup_epochs=20)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
