# CTKD + logit standardisation, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_logit.md
# section 13): kd weight 9 for every pair (its base temperature 2 has no counterpart:
# CTKD learns T). CTKD's own settings (section 9): T = 1 + 20 sigmoid(theta), theta from
# 1, lambda cosine 0 -> -1 over 10 epochs, CE weight 0.1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=10,
            loss_weight=9.0,
            logit_standardization=True)),
    student_loss_weight=0.1)
