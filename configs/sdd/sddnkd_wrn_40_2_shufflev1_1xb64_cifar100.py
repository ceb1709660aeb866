# SD-NKD, WRN-40-2 -> ShuffleNetV1, CIFAR-100 (methods_logit.md sections 8 and 10;
# reference shicaiwei123/SDD-CVPR2024 SDD_nkd.py::multi_nkd_loss): NKD on every
# spatial-pyramid region, levels [1, 2, 4] (N = 21), complementary regions weighted 2,
# rows divided by N * B; T = CFG.DKD.T 4, gamma = the pair's DKD beta 8.0, warm-up
# CFG.DKD.WARMUP 20, CE weight 1, lr 0.01 (pair base). match_reference=True keeps the
# reference's all-ones mask (label class inside the "non-target" part); False is the fixed
# NKD.
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sddnkd=dict(
            type='SDDLoss',
            levels=(1, 2, 4),
            region_loss=dict(
                type='SDDNKDLoss',
                temperature=4.0,
                gamma=8.0,
                warmup_epochs=20,
                match_reference=True,
                complementary_weight=2.0,
                loss_weight=1.0))),
    student_loss_weight=1.0)
