# SD-KD, VGG13 -> VGG8, CIFAR-100: the recipe of shicaiwei123/SDD-CVPR2024@e412036:
# train_origin.py --cfg configs/cifar100/sdd_kd/vgg13_vgg8.yaml --M [1,2]
# (teacher_vgg.sh). Paper: Wei, Luo, Luo, "Scale Decoupled Distillation", CVPR 2024, arXiv
# 2403.13512. No number is cited for this pair.
# - Loss: KD on every region of the pyramid (mdistiller/distillers/SDD_KD.py), T 4, KD
#   weight 0.9, CE 0.1 (CFG.KD), no warm-up (commented out in the code).
# - Schedule (the yaml): SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64 on one
#   GPU, 240 epochs, x0.1 at 150/180/210.
# - Teacher: the CRD release fetched by fetch_pretrained_teachers.sh; the pair base names
#   mdistiller's cifar_teachers, files of the same names (byte identity unverified).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sdd=dict(type='SDDLoss', levels=(1, 2), temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)
