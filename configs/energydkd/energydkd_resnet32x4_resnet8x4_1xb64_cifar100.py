# Energy DKD, ResNet32x4 -> ResNet8x4, CIFAR-100: a named extrapolation:
# Seonghak35/EnergyKD@76c6512 publishes an Energy DKD config only for VGG13 -> VGG8; this
# one takes the cfg defaults (CFG.energyDKD, CFG.ENERGY) and that config's schedule, with
# mdistiller's lr for the student. Paper: Kim, Ham, Lee, Jang, Kim, "Maximizing
# Discrimination Capability of Knowledge Distillation with Energy Function",
# Knowledge-Based Systems 296:111911 (2024), arXiv 2311.14334. No number is cited (the
# repository publishes none).
# - Loss: mdistiller/distillers/energyDKD.py: DKD with the per-sample energy temperature
#   (2 / 4 / 6, the code's mapping) in both terms, alpha 1, beta 8, the cfg default
#   (CFG.energyDKD.BETA); DKD's beta for this pair is also 8; CE 1, warm-up 20 epochs
#   (min(epoch / 20, 1), 1-based).
# - Thresholds: energy quantiles 0.2 / 0.2, the CFG.ENERGY defaults, T_e 4
#   (EnergyThresholdHook, as cal_energy).
# - Schedule: SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 360 epochs, x0.1 at
#   150/180/210/240/270/300.
# - Teacher: mdistiller's cifar_teachers (the pair base). The original loads
#   download_ckpts/cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth and its README says
#   the teachers can be trained with its configs/cifar100/teacher/*.yaml; which files
#   produced its runs is unverified.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_energydkd=dict(
            type='EnergyDKDLoss',
            alpha=1.0,
            beta=8.0,
            low_temperature=2.0,
            mid_temperature=4.0,
            high_temperature=6.0,
            energy_temperature=4.0,
            warmup_epochs=20,
            match_reference=True,
            loss_weight=1.0)),
    student_loss_weight=1.0)

custom_hooks = [
    dict(type='EnergyThresholdHook', low_rate=0.2, high_rate=0.2, energy_temperature=4.0)
]

param_scheduler = dict(milestones=[150, 180, 210, 240, 270, 300])
train_cfg = dict(max_epochs=360)
