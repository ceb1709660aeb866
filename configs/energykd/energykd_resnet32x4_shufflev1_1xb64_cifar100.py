# Energy KD, ResNet32x4 -> ShuffleNetV1, CIFAR-100 (methods_logit.md section 7; reference
# Seonghak35/EnergyKD, CFG.energyKD / CFG.ENERGY): KD with a per-sample temperature from
# the teacher energy, T 2 / 4 / 6 for low / mid / high energy (the code's mapping,
# match_reference=True), KD weight 0.9, CE weight 0.1. Thresholds: 20% / 20% quantiles
# of the teacher energies (T_e 4) over the training set, computed before training by
# EnergyThresholdHook. lr 0.01 (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_energykd=dict(
            type='EnergyKDLoss',
            low_temperature=2.0,
            mid_temperature=4.0,
            high_temperature=6.0,
            energy_temperature=4.0,
            match_reference=True,
            loss_weight=0.9)),
    student_loss_weight=0.1)

custom_hooks = [
    dict(type='EnergyThresholdHook', low_rate=0.2, high_rate=0.2, energy_temperature=4.0)
]

# The reference's Energy KD schedule: 360 epochs, x0.1 after 150/180/210/240/270/300
# (1-based `epoch > stage`; MMEngine's 0-based milestones decay at the same epochs).
param_scheduler = dict(milestones=[150, 180, 210, 240, 270, 300])
train_cfg = dict(max_epochs=360)
