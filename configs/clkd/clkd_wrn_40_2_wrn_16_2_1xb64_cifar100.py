# CLKD, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_logit.md sections 11 and 14).
# StreamLined's re-implementation (no official code): 0.5 (L_ins + 2 L_cla) + 0.4 L_cc
# with CE weight 0.1, trained with its trainer's lr 0.1 for every pair (its weak +
# strong doubled training set is not reproduced, as for SKD).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_clkd=dict(
            type='CLKDLoss',
            instance_weight=0.5,
            class_weight=1.0,
            correlation_weight=0.4,
            loss_weight=1.0)),
    student_loss_weight=0.1)

# StreamLined's trainer: lr 0.1 for every pair (section 11).
optim_wrapper = dict(optimizer=dict(lr=0.1))
