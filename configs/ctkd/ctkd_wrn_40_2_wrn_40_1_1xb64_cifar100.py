# CTKD, WRN-40-2 -> WRN-40-1, CIFAR-100. Li et al., "Curriculum Temperature for
# Knowledge Distillation", AAAI 2023 (arXiv 2211.16231); reported 73.93 (KD + CTKD) in
# zhengli97/CTKD@7d5252241259ae70d38a832371fed9697d15fc14:README.md (CIFAR-100 table).
# Recipe (that commit): scripts/run_cifar_distill.sh (written for ResNet56 -> ResNet20;
# this pair sets --path-t ./save/models/wrn_40_2_vanilla/ckpt_epoch_240.pth --model_s
# wrn_40_1): `-r 0.1 -a 0.9 -b 0` (CE 0.1, KD 0.9), --batch_size 64 --learning_rate
# 0.05, global learnable T = 1 + 20 sigmoid(theta) from theta = 1 (train_student.py
# --t_start 1 --t_end 20, models/temp_global.py), lambda cosine 0 -> -1 over
# --decay_loops 10 epochs counted from 1 (train_student.py CosineDecay); theta in the
# student's SGD (momentum 0.9, weight decay 5e-4, no Nesterov, train_student.py
# l.379-382); 240 epochs, x0.1 when the 1-based epoch exceeds 150/180/210
# (helper/util.py adjust_learning_rate), i.e. MMEngine milestones [150, 180, 210] (the
# schedule base); teacher in eval mode under no_grad (helper/loops.py); RepDistiller
# normalisation (dataset/cifar100.py).
# Teacher: the README's CIFAR teacher release (Baidu / tag `pretrained-models`) is read
# as <t>_vanilla/ckpt_epoch_240.pth, ["model"]: RepDistiller's layout, and the README's
# KD row matches RepDistiller's KD numbers (to 0.01), so the RepDistiller/mdistiller
# teacher of the pair base is most likely the same file (the release was not opened:
# unverified).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=10,
            loss_weight=0.9)),
    student_loss_weight=0.1)
