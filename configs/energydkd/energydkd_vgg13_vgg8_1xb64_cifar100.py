# Energy DKD, VGG13 -> VGG8, CIFAR-100: the recipe of Seonghak35/EnergyKD@76c6512:
# tools/train.py --cfg configs/cifar100/energy_dkd/vgg13_vgg8.yaml --energy, its only
# Energy DKD config. Paper: Kim, Ham, Lee, Jang, Kim, "Maximizing Discrimination
# Capability of Knowledge Distillation with Energy Function", Knowledge-Based Systems
# 296:111911 (2024), arXiv 2311.14334. No number is cited (the repository publishes none).
# - Loss: mdistiller/distillers/energyDKD.py: DKD with the per-sample energy temperature
#   (2 / 4 / 6, the code's mapping) in both terms, alpha 1, beta 6 (the yaml; DKD's beta
#   for this pair); CE 1, warm-up 20 epochs (min(epoch / 20, 1), 1-based).
# - Thresholds: energy quantiles the yaml's 0.1 / 0.1, T_e 4 (EnergyThresholdHook, as
#   cal_energy).
# - Schedule: SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 360 epochs, x0.1 at
#   150/180/210/240/270/300.
# - Teacher: mdistiller's cifar_teachers (the pair base). The original loads
#   download_ckpts/cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth and its README says
#   the teachers can be trained with its configs/cifar100/teacher/*.yaml; which files
#   produced its runs is unverified.
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

param_scheduler = dict(milestones=[150, 180, 210, 240, 270, 300])
train_cfg = dict(max_epochs=360)
