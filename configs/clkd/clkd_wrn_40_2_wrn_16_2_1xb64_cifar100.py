# CLKD, WRN-40-2 -> WRN-16-2, CIFAR-100: the recipe of the cited 72.89 (the CLKD row of
# StreamLined's README, HyunJunSik/StreamLined@0e1ede7:README.md, unchanged in its
# November 2025 version). Paper: Zhang, Liu, Hopcroft, He, "Class-aware Information for
# Logit-based Knowledge Distillation", arXiv 2211.14773; no official code.
# - Loss: StreamLined's port, HyunJunSik/StreamLined@0e1ede7:Distiller/CLKD.py (lamb 0.1 =
#   CE weight, mu 0.5, beta 2, vu 0.4): 0.5 (L_ins + 2 L_cla) + 0.4 L_cc.
# - Data: the weak and the RandAugment copies of the training set concatenated, 100k
#   samples per epoch (../_base_/datasets/cifar100_bs64_streamlined.py).
# - Schedule: lr 0.1, weight decay 4e-5, 250 epochs, x0.1 at 150/180/210
#   (../_base_/schedules/cifar100_sgd_250e_streamlined.py).
# - Teacher: StreamLined's own, CIFAR-100/Model_Pth/best_model_weights_wrn_40_2.pth at
#   @0e1ede7 (WRN-40-2 75.24 in that README), converted to the path below
#   (configs/clkd/README.md says how); not mdistiller's cifar_teachers.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64_streamlined.py',
    '../_base_/schedules/cifar100_sgd_250e_streamlined.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_ckpt='checkpoints/streamlined_teachers/wrn_40_2.pth',
    distill_losses=dict(
        loss_clkd=dict(
            type='CLKDLoss',
            instance_weight=0.5,
            class_weight=1.0,
            correlation_weight=0.4,
            loss_weight=1.0)),
    student_loss_weight=0.1)
