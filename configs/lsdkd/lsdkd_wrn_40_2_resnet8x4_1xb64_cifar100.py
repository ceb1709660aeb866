# DKD + logit standardisation, WRN-40-2 -> ResNet8x4, CIFAR-100: the recipe of
# sunshangquan/logit-standardization-KD@f6e5aa5: the run of the log
# logs/DKD/dkd,wrn_40_2,resnet8x4,2,18,2.0.txt (the repository has no dkd yaml for this
# pair; the log gives lr 0.05, 240 epochs, decays at 150/180/210). Paper: Sun, Ren, Li,
# Wang, Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv
# 2403.01427. The cited 76.75 is the README's DKD+Ours row
# (sunshangquan/logit-standardization-KD@f6e5aa5:README.md; the README says its values may
# differ from the logs by averaging and randomness).
# - Loss: DKD on standardised logits (mdistiller/distillers/DKD.py); train.py sets alpha =
#   1 x 18, beta = 2 x 18, T 2; CE 1, warm-up 20 epochs (min(epoch / 20, 1) with 1-based
#   epochs).
# - Schedule: SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at
#   150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/wrn_40_2_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsdkd=dict(
            type='DKDLoss',
            alpha=18.0,
            beta=36.0,
            temperature=2.0,
            warmup_epochs=20,
            loss_weight=1.0,
            logit_standardization=True)),
    student_loss_weight=1.0)
