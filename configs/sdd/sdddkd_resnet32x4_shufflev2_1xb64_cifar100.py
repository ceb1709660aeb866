# SD-DKD, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_logit.md sections 3 and 10;
# reference shicaiwei123/SDD-CVPR2024 SDD_DKD.py::multi_dkd): DKD on every spatial-pyramid
# region, levels [1, 2, 4] (N = 21), complementary regions weighted 2, rows divided by N *
# B; alpha 1, beta 8.0 (DKD's per-pair table, section 3), T 4, warm-up 20 epochs, CE
# weight 1, lr 0.01 (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
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
