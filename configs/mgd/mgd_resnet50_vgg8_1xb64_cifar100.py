# MGD, ResNet50 -> VGG8, CIFAR-100 (methods_feature.md 3.14): last post-ReLU maps, the
# default feats[-1]: teacher layer4 2048@4, student relu4 512@4 (align conv 512 ->
# 2048). The only cross-family pair of the benchmark whose last maps have equal sizes,
# which MGD requires; random channel masks (ratio 0.15), alpha_mgd 1.2e-3 (cls_KD's
# CIFAR-100 config, the only CIFAR setting of the authors; 7e-5 on ImageNet), no logit
# KD, CE weight 1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=512,
            teacher_channels=2048,
            mask_ratio=0.15,
            loss_weight=1.2e-3)),
    student_loss_weight=1.0)
