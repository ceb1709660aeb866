# Energy DKD, VGG13 -> VGG8, CIFAR-100 (methods_logit.md section 7; reference
# Seonghak35/EnergyKD, CFG.energyDKD / CFG.ENERGY): DKD with Energy KD's per-sample
# temperature (2 / 4 / 6, the code's mapping) in TCKD and NCKD, alpha 1, beta 6.0, warm-up
# 20 epochs, CE weight 1. Thresholds: 10% / 10% energy quantiles (T_e 4), computed before
# training by EnergyThresholdHook. lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_energydkd=dict(
            type='EnergyDKDLoss',
            alpha=1.0,
            beta=6.0,
            low_temperature=2.0,
            mid_temperature=4.0,
            high_temperature=6.0,
            energy_temperature=4.0,
            warmup_epochs=20,
            match_reference=True,
            loss_weight=1.0)),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='EnergyThresholdHook', low_rate=0.1, high_rate=0.1, energy_temperature=4.0)
]

# The reference's Energy DKD schedule: 360 epochs, x0.1 after 150/180/210/240/270/300
# (1-based `epoch > stage`; MMEngine's 0-based milestones decay at the same epochs).
param_scheduler = dict(milestones=[150, 180, 210, 240, 270, 300])
train_cfg = dict(max_epochs=360)
