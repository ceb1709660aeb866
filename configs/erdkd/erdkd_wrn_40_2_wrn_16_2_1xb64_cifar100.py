# ER-DKD, WRN-40-2 -> WRN-16-2, CIFAR-100: DKD with the teacher's entropy at t_H 4
# scaling the loss as the code does (match_reference=True). Su et al., "Knowledge From
# the Dark Side: Entropy-Reweighted Knowledge Distillation", arXiv 2311.13621 v1; no
# reported number.
# Recipe (cpsu00/ER-KD@42aa4f1): mdistiller/configs/cifar100/dkd/wrn40_2_wrn_16_2.yaml
# (beta 2, lr 0.05; mdistiller/script_ER.sh runs its ResNet32x4 -> ResNet8x4 twin with
# --er 1), alpha 1, T 4, CE weight 1, warm-up min(epoch / 20, 1) over 1-based epochs
# (mdistiller/mdistiller/engine/cfg.py, mdistiller/mdistiller/distillers/DKD.py: the
# default (e + 1) / 20 here), t_H 4 (the --t default); the (B,) x (B, 1) broadcast of
# the entropy (DKD.py er_dkd_loss) is match_reference=True; the ER-KD copy of
# mdistiller's trainer: batch 64, SGD momentum 0.9 without Nesterov, weight decay 5e-4,
# 240 epochs, x0.1 when the 1-based epoch exceeds 150/180/210
# (mdistiller/mdistiller/engine/utils.py adjust_learning_rate: MMEngine milestones [150,
# 180, 210]), teacher in eval mode under no_grad, RepDistiller normalisation
# (mdistiller/mdistiller/dataset/cifar100.py), mdistiller's teacher (the pair base's);
# best test top-1.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erdkd=dict(
            type='ERDKDLoss',
            alpha=1.0,
            beta=2.0,
            temperature=4.0,
            entropy_temperature=4.0,
            warmup_epochs=20,
            loss_weight=1.0,
            match_reference=True)),
    student_loss_weight=1.0)
