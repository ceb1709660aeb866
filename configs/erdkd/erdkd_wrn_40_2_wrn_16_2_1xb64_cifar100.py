# ER-DKD, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_logit.md section 5, ER-KD's per-pair
# configs): beta 2; alpha 1, T 4, teacher entropy at t_H 4, warm-up 20 epochs, CE weight
# 1 (DKD's), lr 0.05 (pair base). match_reference=True: the entropy scales the batch as
# the code does.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erdkd=dict(
            type='ERDKDLoss',
            alpha=1.0,
            beta=2.0,
            temperature=4.0,
            entropy_temperature=4.0,
            warmup_epochs=20,
            loss_weight=1.0,
            match_reference=True)),
    student_loss_weight=1.0)
