# ER-CTKD, ResNet32x4 -> ResNet8x4, CIFAR-100: CTKD (configs/ctkd) with each sample's KD
# term weighted by the teacher's entropy at t_H 4. Su et al., "Knowledge From the Dark
# Side: Entropy-Reweighted Knowledge Distillation", arXiv 2311.13621 v1; no reported
# number.
# Recipe (cpsu00/ER-KD@42aa4f1): ER-CTKD/scripts/script_ER_CTKD.sh, its only CIFAR-100
# line (mdistiller's resnet32x4_vanilla teacher, `-r 0.1 -a 0.9 -b 0`: CE 0.1, KD 0.9,
# --batch_size 64 --learning_rate 0.05, lambda cosine 0 -> -1 over --decay_loops 10
# epochs); ER-CTKD/train_student.py (zhengli97/CTKD@7d52522's, wandb added): T = 1 + 20
# sigmoid(theta) from theta = 1 (--t_start 1 --t_end 20 defaults), theta in the
# student's SGD (momentum 0.9, weight decay 5e-4, no Nesterov), 240 epochs, x0.1 when
# the 1-based epoch exceeds 150/180/210 (MMEngine milestones [150, 180, 210]), teacher
# in eval mode under no_grad, RepDistiller normalisation; ER-CTKD/distiller_zoo/KD.py:
# entropy at t_H 4 (l.15-16) weighting the element-wise KL before the class sum.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erctkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(
                type='CTKDLoss',
                t_start=1.0,
                t_end=20.0,
                init_theta=1.0,
                lambda_max=0.0,
                lambda_min=-1.0,
                lambda_epochs=10,
                loss_weight=0.9),
            entropy_temperature=4.0)),
    student_loss_weight=0.1)
