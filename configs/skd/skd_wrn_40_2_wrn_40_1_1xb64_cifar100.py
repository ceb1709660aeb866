# SKD, WRN-40-2 -> WRN-40-1, CIFAR-100 (methods_logit.md section 11).
# HyunJunSik/StreamLined defaults at the inspected commit: T 4, tik 0.1, KD weight 0.9,
# CE weight 0.1 (0.5 / 0.5 before March 2026); lr 0.1 for every pair. Not reproduced:
# its training set of weak + RandAugment/Cutout copies of CIFAR-100 (100k samples per
# epoch); this config trains on the standard pipeline. match_reference=True: the masks
# scale the terms as the code does.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_skd=dict(
            type='SKDLoss',
            temperature=4.0,
            tik=0.1,
            loss_weight=0.9,
            match_reference=True)),
    student_loss_weight=0.1)

# StreamLined's trainer: lr 0.1 for every pair (section 11).
optim_wrapper = dict(optimizer=dict(lr=0.1))
