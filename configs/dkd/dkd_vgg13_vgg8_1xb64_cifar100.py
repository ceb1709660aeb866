# DKD, VGG13 -> VGG8, CIFAR-100 (methods_logit.md section 3, per-pair table of
# mdistiller's configs/cifar100/dkd/): beta 6.0 for this pair; alpha 1, T 4, warm-up 20
# epochs, CE weight 1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=6.0,
            temperature=4.0,
            warmup_epochs=20,
            loss_weight=1.0)),
    student_loss_weight=1.0)
