# Energy KD, ResNet32x4 -> ShuffleNetV1, CIFAR-100: a named extrapolation:
# Seonghak35/EnergyKD@76c6512 has no config for this pair; this one takes its energy_kd
# cfg defaults (CFG.energyKD, CFG.ENERGY) and the schedule of its energy_kd yamls, with
# mdistiller's lr for the student. Paper: Kim, Ham, Lee, Jang, Kim, "Maximizing
# Discrimination Capability of Knowledge Distillation with Energy Function",
# Knowledge-Based Systems 296:111911 (2024), arXiv 2311.14334. No number is cited (the
# repository publishes none).
# - Loss: mdistiller/distillers/energyKD.py: per-sample temperature from the teacher
#   energy, T 2 / 4 / 6 for low / mid / high energy (the code's mapping,
#   match_reference=True), KD weight 0.9, CE 0.1 (CFG.energyKD).
# - Thresholds: energy quantiles 0.2 / 0.2 (CFG.ENERGY defaults), T_e 4, from
#   mdistiller/engine/utils.py cal_energy over the training set before training
#   (EnergyThresholdHook).
# - Schedule: SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64, 360 epochs, x0.1 at
#   150/180/210/240/270/300 (1-based epoch > stage; MMEngine's 0-based milestones decay at
#   the same epochs).
# - Teacher: mdistiller's cifar_teachers (the pair base). The original loads
#   download_ckpts/cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth and its README says
#   the teachers can be trained with its configs/cifar100/teacher/*.yaml; which files
#   produced its runs is unverified.
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

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(milestones=[150, 180, 210, 240, 270, 300])
train_cfg = dict(max_epochs=360)
