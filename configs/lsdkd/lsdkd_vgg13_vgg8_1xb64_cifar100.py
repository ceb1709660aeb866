# DKD + logit standardisation, VGG13 -> VGG8, CIFAR-100 (methods_logit.md section 13,
# per-pair values from the README's log-file names): base temperature 2, kd weight 15;
# beta 2 from the log-file name. LS scales DKD's weights by the kd weight: alpha = 1 x
# 15, beta = 2 x 15. Warm-up 20 epochs and CE weight 1 as DKD, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsdkd=dict(
            type='DKDLoss',
            alpha=15.0,
            beta=30.0,
            temperature=2.0,
            warmup_epochs=20,
            loss_weight=1.0,
            logit_standardization=True)),
    student_loss_weight=1.0)
