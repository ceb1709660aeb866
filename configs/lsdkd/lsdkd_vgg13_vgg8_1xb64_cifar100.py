# DKD + logit standardisation, VGG13 -> VGG8, CIFAR-100: the recipe of
# sunshangquan/logit-standardization-KD@f6e5aa5: tools/train.py --cfg
# configs/cifar100/dkd/vgg13_vgg8.yaml --logit-stand --base-temp 2 --kd-weight 15 DKD.BETA
# 2.0 (the values of the log name logs/DKD/dkd,vgg13,vgg8,2,15,2.0.txt). Paper: Sun, Ren,
# Li, Wang, Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv
# 2403.01427. The cited 74.81 is the README's DKD+Ours row
# (sunshangquan/logit-standardization-KD@f6e5aa5:README.md; the README says its values may
# differ from the logs by averaging and randomness).
# - Loss: DKD on standardised logits (mdistiller/distillers/DKD.py); train.py sets alpha =
#   1 x 15, beta = 2 x 15, T 2; CE 1, warm-up 20 epochs (min(epoch / 20, 1) with 1-based
#   epochs).
# - Schedule: SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at
#   150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsdkd=dict(
            type='DKDLoss',
            alpha=15.0,
            beta=30.0,
            temperature=2.0,
            warmup_epochs=20,
            loss_weight=1.0,
            logit_standardization=True)),
    student_loss_weight=1.0)
