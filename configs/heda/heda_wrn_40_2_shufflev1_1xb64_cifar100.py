# HE-DA (energyAUG), WRN-40-2 -> ShuffleNetV1, CIFAR-100: a named extrapolation:
# Seonghak35/EnergyKD@76c6512 has no energy_aug config for this pair; this one takes the
# CFG.energyAUG defaults, the 240-epoch schedule of the energy_aug yamls and their
# HIGH_RATE 0.5, with mdistiller's lr for the student. Paper: Kim, Ham, Lee, Jang, Kim,
# "Maximizing Discrimination Capability of Knowledge Distillation with Energy Function",
# Knowledge-Based Systems 296:111911 (2024), arXiv 2311.14334. No number is cited (the
# repository publishes none).
# - Loss: mdistiller/distillers/energyAUG.py: KD (T 4, weight 0.9, CE 0.1) plus the same
#   KD on an auxiliary batch, [x_0, x_1] + the teacher's high-energy images, CutMixed (lam
#   ~ Beta(1, 1)). As published the code stops in pdb.set_trace() every step and uses
#   np.int (NumPy < 1.24); the recipe is read from it.
# - Thresholds: LOW_RATE 0, HIGH_RATE 0.5, T_e 4.
# - Schedule: SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at
#   150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base). The original loads
#   download_ckpts/cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth and its README says
#   the teachers can be trained with its configs/cifar100/teacher/*.yaml; which files
#   produced its runs is unverified.
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
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

optim_wrapper = dict(optimizer=dict(lr=0.01))
