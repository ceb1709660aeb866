# KD-SVD (Lee, Kim, Song, "Self-supervised Knowledge Distillation Using Singular Value
# Decomposition", ECCV 2018, arXiv 1807.06819), ResNet32x4 -> ResNet8x4, CIFAR-100: the
# stages without the stem (layer1-3 of both), one teacher singular vector, weight 1, CE
# weight 1. No number is reported for this run (mdistiller lists KD-SVD among its
# methods without a result).
# Recipe: megvii-research/mdistiller@a08d46f:tools/train.py with
# megvii-research/mdistiller@a08d46f:configs/cifar100/kdsvd.yaml (DISTILLER.TYPE KDSVD;
# KDSVD.K 1, LOSS.CE_WEIGHT 1, LOSS.FEAT_WEIGHT 1 from
# megvii-research/mdistiller@a08d46f:mdistiller/engine/cfg.py; kdsvd_loss of feats[1:] in
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/KDSVD.py): batch 64, SGD
# momentum 0.9, weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, LR 0.05
# (the bases).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    teacher_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    distill_losses=dict(loss_kdsvd=dict(type='KDSVDLoss', k=1, loss_weight=1.0)),
    student_loss_weight=1.0)
