# ER-FCFD, ResNet32x4 -> ResNet8x4, CIFAR-100: FCFD (fcfd_resnet32x4_resnet8x4: same
# stages, bridges, paths and settings) with every per-sample term weighted by the
# teacher's entropy at t_H 4, the reference's broadcast of the final pooled L2 term
# (mean entropy) kept (match_reference=True). Su et al., "Knowledge From the Dark Side:
# Entropy-Reweighted Knowledge Distillation", arXiv 2311.13621; reported 77.50
# (second-hand, see configs/erfcfd/README.md).
# Recipe (cpsu00/ER-KD@42aa4f1, ER-FCFD/classification/):
# experiments/cifar/script_ER_FCFD.sh (this pair, seed 1) with train_lr0.05.sh (batch
# 64, lr 0.05) and resnet8x4-resnet32x4.yaml (T 4, weight_l2 5, KD 1, mixed-path KL 1;
# byte-identical to LiuDongyang6/FCFD@2aefb7b's); cifar/main.py: FCFD's trainer
# (Nesterov, momentum 0.9, weight decay 5e-4, milestones 150/180/210, L2 warm-up (e + 1)
# / 20, teacher BatchNorm in train mode: teacher_norm_train=True), entropy at t_H 4
# (l.305); RepDistiller normalisation; mdistiller's teacher.
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
