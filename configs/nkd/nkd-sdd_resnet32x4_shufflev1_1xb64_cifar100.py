# NKD as SDD's CIFAR-100 baseline (Wei, Luo, Luo, "Scale Decoupled Distillation", CVPR
# 2024, arXiv 2403.13512), ResNet32x4 -> ShuffleNetV1. Reported 75.31 top-1: the "NKD"
# column of shicaiwei123/SDD-CVPR2024@e412036c6b7b67d8ed25418d2dedad223ab49a71:README.md
# (cifar100.png). SDD records no command for that column; its only CIFAR-100 route to
# plain NKD is the SDD_NKD distiller with `--M [1]`, which takes the `M == '[1]'` branch
# (mdistiller/distillers/SDD_nkd.py, nkd_loss_origin) with
# configs/cifar100/sdd_nkd/res32x4_shuv1.yaml; this config repeats it (inferred, not
# verified against a log):
# - T = CFG.DKD.T 4, gamma = CFG.DKD.BETA 8 (cfg.py default), NKD added to the CE
#   at weight CFG.DKD.CE_WEIGHT 1, warm-up min(epoch / CFG.DKD.WARMUP, 1), WARMUP 20,
#   1-based epochs (mdistiller/engine/cfg.py, mdistiller/engine/trainer.py);
# - the all-ones mask of nkd_loss_origin: the "non-target" part is the cross-entropy of
#   the full softmax(z / T) distributions, label class included (not the paper's NKD);
# - batch 64, 240 epochs, lr 0.01, x0.1 at 150/180/210, weight decay 5e-4, mdistiller's
#   CIFAR-100 teachers in eval mode (the yaml; the pair base).
# SDDLoss with the single region of level 1 (the global logits) and
# SDDNKDLoss(match_reference=True) compute exactly that term; its warm-up (e + 1) / 20
# on MMEngine's 0-based epochs is SDD's e / 20 on 1-based ones. The paper's NKD on this
# pair: nkd_resnet32x4_shufflev1_1xb64_cifar100.py.
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_nkd=dict(
            type='SDDLoss',
            levels=(1, ),
            region_loss=dict(
                type='SDDNKDLoss',
                temperature=4.0,
                gamma=8.0,
                warmup_epochs=20,
                match_reference=True,
                loss_weight=1.0))),
    student_loss_weight=1.0)

# lr 0.01 for this student: SOLVER.LR of shicaiwei123/SDD-CVPR2024@e412036:
# configs/cifar100/sdd_nkd/res32x4_shuv1.yaml.
optim_wrapper = dict(optimizer=dict(lr=0.01))
