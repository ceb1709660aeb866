# SD-NKD, ResNet50 -> VGG8, CIFAR-100: the recipe of shicaiwei123/SDD-CVPR2024@e412036:
# train_origin.py --cfg configs/cifar100/sdd_nkd/res50_vgg8.yaml --M [1,2]
# (teacher_unpair.sh; both listed runs, 75.20 and 74.58, use M [1,2], no [1,2,4] run is
# listed). Paper: Wei, Luo, Luo, "Scale Decoupled Distillation", CVPR 2024, arXiv
# 2403.13512. The cited 74.62 is the SD-NKD value of
# shicaiwei123/SDD-CVPR2024@e412036:cifar100.png (the README's CIFAR-100 table).
# - Loss: NKD on every region of the pyramid (mdistiller/distillers/SDD_nkd.py): T = DKD.T
#   4, gamma = DKD.BETA 8.0, warm-up DKD.WARMUP 20, CE 1; match_reference=True keeps the
#   code's all-ones mask.
# - Schedule (the yaml): SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64 on one
#   GPU, 240 epochs, x0.1 at 150/180/210.
# - Teacher: the CRD release fetched by fetch_pretrained_teachers.sh; the pair base names
#   mdistiller's cifar_teachers, files of the same names (byte identity unverified).
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sddnkd=dict(
            type='SDDLoss',
            levels=(1, 2),
            region_loss=dict(
                type='SDDNKDLoss',
                temperature=4.0,
                gamma=8.0,
                warmup_epochs=20,
                match_reference=True,
                complementary_weight=2.0,
                loss_weight=1.0))),
    student_loss_weight=1.0)
