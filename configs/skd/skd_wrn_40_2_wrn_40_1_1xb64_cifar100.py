# SKD, WRN-40-2 -> WRN-40-1, CIFAR-100: the recipe of the cited 75.56 (StreamLined's
# README of May 2025, HyunJunSik/StreamLined@0e1ede7:README.md). Paper: "Streamlined
# Knowledge Distillation", CVPR 2026 (no arXiv id known).
# - Loss: HyunJunSik/StreamLined@0e1ede7:Distiller/SKD.py (SKD defaults at that commit: T
#   4, tik 0.1, CE 0.5, KD 0.5; CE 0.1 / KD 0.9 only since @40ff8fd, March 2026).
#   match_reference=True: the confidence masks scale the terms as the code does.
# - Data: the weak and the RandAugment copies of the training set concatenated, 100k
#   samples per epoch (../_base_/datasets/cifar100_bs64_streamlined.py).
# - Schedule: lr 0.1, weight decay 4e-5, 250 epochs, x0.1 at 150/180/210
#   (../_base_/schedules/cifar100_sgd_250e_streamlined.py).
# - Teacher: StreamLined's own, CIFAR-100/Model_Pth/best_model_weights_wrn_40_2.pth at
#   @0e1ede7 (WRN-40-2 75.24 in that README), converted to the path below
#   (configs/skd/README.md says how); not mdistiller's cifar_teachers.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64_streamlined.py',
    '../_base_/schedules/cifar100_sgd_250e_streamlined.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_ckpt='checkpoints/streamlined_teachers/wrn_40_2.pth',
    distill_losses=dict(
        loss_skd=dict(
            type='SKDLoss',
            temperature=4.0,
            tik=0.1,
            loss_weight=0.5,
            match_reference=True)),
    student_loss_weight=0.5)
