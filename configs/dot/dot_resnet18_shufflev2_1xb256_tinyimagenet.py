# KD + DOT (Zhao, Song, Qiu, "DOT: A Distillation-Oriented Trainer", ICCV 2023), ResNet18
# -> ShuffleNetV2, Tiny-ImageNet: KD (T 4, KD weight 0.9, CE weight 0.1) trained with
# DOTOptimWrapper (task / distillation momenta 0.9 -/+ 0.075). Cited 65.75:
# megvii-research/mdistiller@a08d46f:README.md, "DOT" Tiny-ImageNet table (best epoch),
# run with megvii-research/mdistiller@a08d46f:tools/train.py and
# megvii-research/mdistiller@a08d46f:configs/tiny_imagenet/dot/r18_shuv2.yaml:
# DISTILLER.TYPE KD (KD.TEMPERATURE 4, LOSS.CE_WEIGHT 0.1, LOSS.KD_WEIGHT 0.9 from
# mdistiller/engine/cfg.py), SOLVER.TRAINER dot, SOLVER.DOT.DELTA 0.075, MOMENTUM 0.9,
# SOLVER.BATCH_SIZE 256 (one DataLoader batch split by DataParallel over the visible GPUs,
# their number not stated), LR 0.2, weight decay 5e-4, 200 epochs, lr x0.1 after epochs
# 60/120/160 (the schedule base); RandomRotation(20) + flip with Tiny-ImageNet's mean/std
# (mdistiller/dataset/tiny_imagenet.py, the data base). The student is the CRD zoo's
# ShuffleV2 with 200 classes, pooled globally: as released, mdistiller's ShuffleV2
# average-pools with a fixed 4x4 kernel, which on 64x64 inputs leaves 4096 values for its
# 1024-wide classifier (the code cannot run this pair unchanged; see
# configs/dot/README.md).
_base_ = [
    '../_base_/pairs/resnet18_shufflev2_tinyimagenet.py',
    '../_base_/datasets/tinyimagenet_bs256_rotation.py',
    '../_base_/schedules/tinyimagenet_sgd_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)

# The task term is the student's cross-entropy (loss_cls), the rest is distillation.
optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075)
