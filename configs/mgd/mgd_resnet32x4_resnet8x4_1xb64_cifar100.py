# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022, arXiv 2205.01529),
# ResNet32x4 -> ResNet8x4, CIFAR-100; no source reports this pair. Last post-ReLU maps,
# layer3 of both (the default feats[-1]), 256@8: no align conv; random channel masks
# (ratio 0.15), alpha_mgd 1.2e-3, the authors' only CIFAR-100 setting
# (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/cifar100/res34_distill_res18_cifar.py; 7e-5 on ImageNet), no logit
# KD, CE weight 1; the CIFAR-100 schedule of mdistiller (batch 64, 240 epochs, lr 0.05
# in the pair base).
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
