# HE-DA (energyAUG), vgg13_mobilenetv2 on CIFAR-100 (methods_logit.md section 7; reference
# Seonghak35/EnergyKD, CFG.energyAUG): KD (T 4, weight 0.9, CE 0.1) plus the same KD on an
# auxiliary batch, [x_0, x_1] + the teacher's high-energy images, CutMixed (lam ~ Beta(1,
# 1)). Thresholds: LOW_RATE 0, HIGH_RATE 0.5. Standard 240-epoch schedule and learning
# rate of the pair base.
_base_ = [
    '../_base_/pairs/vgg13_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9),
        loss_aug=dict(
            type='KDLoss',
            temperature=4.0,
            loss_weight=0.9,
            inputs=dict(logits_s='logits_s_aux', logits_t='logits_t_aux'))),
    aux_batch=dict(
        type='HighEnergyMix',
        augmentation='cutmix',
        cutmix_alpha=1.0,
        energy_temperature=4.0),
    student_loss_weight=0.1)

custom_hooks = [
    dict(type='EnergyThresholdHook', low_rate=0.0, high_rate=0.5, energy_temperature=4.0)
]
