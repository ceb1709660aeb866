# DKD (Zhao, Cui, Song, Qiu, Liang, "Decoupled Knowledge Distillation", CVPR 2022, arXiv
# 2203.08679), WRN-40-2 -> WRN-16-2, CIFAR-100: alpha 1, beta 6, T 4, loss warm-up over 20
# epochs, CE weight 1.
# Cited 76.23: megvii-research/mdistiller@a08d46f:README.md (best epoch, mean of 5 runs
# per megvii-research/mdistiller#42; the DKD paper's CIFAR-100 tables), run with
# megvii-research/mdistiller@a08d46f:tools/train.py and
# megvii-research/mdistiller@a08d46f:configs/cifar100/dkd/wrn40_2_wrn_16_2.yaml: DKD.BETA
# 6 (ALPHA 1, T 4, WARMUP 20, CE_WEIGHT 1 from
# megvii-research/mdistiller@a08d46f:mdistiller/engine/cfg.py), batch 64, SGD momentum
# 0.9, weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, LR 0.05 (the
# bases). The warm-up factor min(epoch / 20, 1) counts epochs from 1 there, (e + 1) / 20
# here (e from 0): the same factors.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=6.0,
            temperature=4.0,
            warmup_epochs=20,
            loss_weight=1.0)),
    student_loss_weight=1.0)
