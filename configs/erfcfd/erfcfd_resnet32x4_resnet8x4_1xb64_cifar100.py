# ER-FCFD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.13): FCFD (same
# stages, bridges, paths and per-pair settings as fcfd_resnet32x4_resnet8x4: L2 weight 5,
# warm-up 20, KD T 4, mixed KL weight 1, CE weight 1, teacher BN in train mode, Nesterov,
# lr 0.05) with every per-sample term weighted by the teacher's entropy at T 4; the
# reference's broadcasting of the final pooled L2 term (mean entropy) is reproduced.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

_taps = dict(
    feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
    stages=['backbone.layer2:module', 'backbone.layer3:module'])
model = dict(
    student_taps=_taps,
    teacher_taps=_taps,
    distill_losses=dict(
        loss_erfcfd=dict(
            type='ERFCFDLoss',
            loss=dict(
                type='FCFDLoss',
                student_channels=[64, 128, 256],
                teacher_channels=[64, 128, 256],
                student_sizes=[32, 16, 8],
                teacher_sizes=[32, 16, 8],
                temperature=4.0,
                kd_weight=1.0,
                mix_weight=1.0,
                l2_weight=5.0,
                warmup_epochs=20,
                loss_weight=1.0),
            entropy_temperature=4.0,
            match_reference=True)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
