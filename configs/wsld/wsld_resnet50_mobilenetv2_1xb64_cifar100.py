# WSLD, ResNet50 -> MobileNetV2, CIFAR-100: a named extrapolation, the WSLD loss of the
# unofficial port yzd-v/cls_KD@1e5d48f:mmcls/models/dis_losses/wsld.py on the mdistiller
# CIFAR-100 recipe. Paper: Zhou, Song, Chen, Zhou, Wang, Yuan, Zhang, "Rethinking Soft
# Labels for Knowledge Distillation: A Bias-Variance Tradeoff Perspective", ICLR 2021,
# arXiv 2102.00650. No number is cited. The official code,
# bellymonster/Weighted-Soft-Label-Distillation@67820dd, is ImageNet-only; no source has a
# CIFAR recipe for this pair.
# - Loss: T 4, alpha 2.25 (the CIFAR values of yzd-v/cls_KD@1e5d48f:
#   configs/distillers/cifar100/res34_distill_res18_cifar.py), CE 1; the official
#   weighting formula.
# - Schedule (mdistiller's, megvii-research/mdistiller@a08d46f:configs/cifar100/): SGD lr
#   0.01, momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at 150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_wsld=dict(type='WSLDLoss', temperature=4.0, loss_weight=2.25)),
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(lr=0.01))
