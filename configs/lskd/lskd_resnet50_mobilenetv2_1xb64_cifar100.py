# KD + logit standardisation, ResNet50 -> MobileNetV2, CIFAR-100: the recipe of
# sunshangquan/logit-standardization-KD@f6e5aa5: tools/train.py --cfg
# configs/cifar100/kd/ResNet50_MobileNetV2.yaml --logit-stand --base-temp 3 --kd-weight 1
# (the values of the log name logs/KD/kd,ResNet50,MobileNetV2,3,1.txt). Paper: Sun, Ren,
# Li, Wang, Cao, "Logit Standardization in Knowledge Distillation", CVPR 2024, arXiv
# 2403.01427. The cited 69.02 is the README's KD+Ours row
# (sunshangquan/logit-standardization-KD@f6e5aa5:README.md; the README says its values may
# differ from the logs by averaging and randomness).
# - Loss: KD on standardised logits (mdistiller/distillers/KD.py), base temperature 3, KD
#   weight 1, CE 0.1 (the cfg default, left by train.py).
# - Schedule (the yaml): SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 64, 240
#   epochs, x0.1 at 150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lskd=dict(type='LSKDLoss', temperature=3.0, loss_weight=1.0)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.01))
