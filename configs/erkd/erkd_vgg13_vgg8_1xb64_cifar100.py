# ER-KD, VGG13 -> VGG8, CIFAR-100: KD with each sample's term weighted by the teacher's
# entropy at t_H 4. Su et al., "Knowledge From the Dark Side: Entropy-Reweighted
# Knowledge Distillation", arXiv 2311.13621 v1; no reported number.
# Recipe (cpsu00/ER-KD@42aa4f1): mdistiller/configs/cifar100/kd/vgg13_vgg8.yaml (lr
# 0.05; the ER-KD script mdistiller/script_ER.sh runs its ResNet32x4 -> ResNet8x4 twin
# with --er 1), KD T 4, KD weight 0.9, CE 0.1 (mdistiller/mdistiller/engine/cfg.py), t_H
# 4 (mdistiller/mdistiller/distillers/KD.py er_kd_loss: its --t option never reaches
# it); the ER-KD copy of mdistiller's trainer: batch 64, SGD momentum 0.9 without
# Nesterov, weight decay 5e-4, 240 epochs, x0.1 when the 1-based epoch exceeds
# 150/180/210 (mdistiller/mdistiller/engine/utils.py adjust_learning_rate: MMEngine
# milestones [150, 180, 210]), teacher in eval mode under no_grad, RepDistiller
# normalisation (mdistiller/mdistiller/dataset/cifar100.py), mdistiller's teacher (the
# pair base's); best test top-1.
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(type='KDLoss', temperature=4.0, loss_weight=0.9),
            entropy_temperature=4.0)),
    student_loss_weight=0.1)
