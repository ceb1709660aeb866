# MGD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.14): last post-ReLU
# maps, layer3 of both (the default feats[-1]), 256@8: no align conv; random channel
# masks (ratio 0.15), alpha_mgd 1.2e-3 (cls_KD's CIFAR-100 config, the only CIFAR
# setting of the authors; 7e-5 on ImageNet), no logit KD, CE weight 1, lr 0.05 (pair
# base).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=256,
            teacher_channels=256,
            mask_ratio=0.15,
            loss_weight=1.2e-3)),
    student_loss_weight=1.0)
