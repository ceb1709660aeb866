# SD-DKD, WRN-40-2 -> ShuffleNetV1, CIFAR-100: the recipe of
# shicaiwei123/SDD-CVPR2024@e412036: train_origin.py --cfg
# configs/cifar100/sdd_dkd/wrn40_2_shuv1.yaml --M [1,2,4] (teacher_wrn.sh). Paper: Wei,
# Luo, Luo, "Scale Decoupled Distillation", CVPR 2024, arXiv 2403.13512. The cited 77.21
# is the SD-DKD value of shicaiwei123/SDD-CVPR2024@e412036:cifar100.png (the README's
# CIFAR-100 table).
# - Loss: DKD on every region of the pyramid (mdistiller/distillers/SDD_DKD.py), alpha 1,
#   beta 8.0 (the cfg default; the yaml sets none), T 4, CE 1, warm-up 20 epochs
#   (train_origin.py --warmup 20, min(epoch / 20, 1) with 1-based epochs).
# - Schedule (the yaml): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64 on one
#   GPU, 240 epochs, x0.1 at 150/180/210.
# - Teacher: the CRD release fetched by fetch_pretrained_teachers.sh; the pair base names
#   mdistiller's cifar_teachers, files of the same names (byte identity unverified).
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sdddkd=dict(
            type='SDDLoss',
            levels=(1, 2, 4),
            region_loss=dict(
                type='SDDDKDLoss',
                alpha=1.0,
                beta=8.0,
                temperature=4.0,
                warmup_epochs=20,
                complementary_weight=2.0,
                loss_weight=1.0))),
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(lr=0.01))
