# KD + DOT (Zhao, Song, Qiu, "DOT: A Distillation-Oriented Trainer", ICCV 2023),
# ResNet32x4 -> ShuffleNetV2, CIFAR-100: KD (T 4, KD weight 0.9, CE weight 0.1) trained
# with DOTOptimWrapper (task / distillation momenta 0.9 -/+ 0.075). Cited 75.55:
# megvii-research/mdistiller@a08d46f:README.md, "DOT" CIFAR-100 table (the DOT paper's;
# best epoch, as mdistiller's trainer keeps), run with
# megvii-research/mdistiller@a08d46f:tools/train.py and
# megvii-research/mdistiller@a08d46f:configs/cifar100/dot/res32x4_shuv2.yaml:
# DISTILLER.TYPE KD (KD.TEMPERATURE 4, LOSS.CE_WEIGHT 0.1, LOSS.KD_WEIGHT 0.9 from
# megvii-research/mdistiller@a08d46f:mdistiller/engine/cfg.py), SOLVER.TRAINER dot,
# SOLVER.DOT.DELTA 0.075, MOMENTUM 0.9, batch 64, weight decay 5e-4, 240 epochs, lr x0.1
# after epochs 150/180/210, LR 0.01 (set below). The trainer
# (megvii-research/mdistiller@a08d46f:mdistiller/engine/trainer.py, class DOT) builds
# mdistiller/engine/dot.py's optimizer with momenta MOMENTUM -/+ DELTA.
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)

# The task term is the student's cross-entropy (loss_cls), the rest is distillation.
optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075, optimizer=dict(lr=0.01))
