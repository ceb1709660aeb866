# KD + logit standardisation, ResNet32x4 -> WRN-16-2, CIFAR-100: the recipe of
# sunshangquan/logit-standardization-KD@f6e5aa5: tools/train.py --cfg
# configs/cifar100/kd/resnet32x4_wrn_16_2.yaml --logit-stand --base-temp 3 --kd-weight 9
# (the values of the log name logs/KD/kd,resnet32x4,wrn_16_2,3,9.txt). Paper: Sun, Ren,
# Li, Wang, Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv
# 2403.01427. The cited 75.26 is the README's KD+Ours row
# (sunshangquan/logit-standardization-KD@f6e5aa5:README.md; the README says its values may
# differ from the logs by averaging and randomness).
# - Loss: KD on standardised logits (mdistiller/distillers/KD.py), base temperature 3, KD
#   weight 9, CE 0.1 (the cfg default, left by train.py).
# - Schedule (the yaml): SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 240
#   epochs, x0.1 at 150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet32x4_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lskd=dict(type='LSKDLoss', temperature=3.0, loss_weight=9.0)),
    student_loss_weight=0.1)
