# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022, arXiv 2205.01529),
# ResNet50 -> VGG8, CIFAR-100; no source reports this pair. Last post-ReLU maps, the
# default feats[-1]: teacher layer4 2048@4, student relu4 512@4 (align conv 512 ->
# 2048). The only cross-family pair of the benchmark whose last maps have equal sizes,
# which MGD requires; random channel masks (ratio 0.15), alpha_mgd 1.2e-3, the authors'
# only CIFAR-100 setting (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/cifar100/res34_distill_res18_cifar.py; 7e-5 on ImageNet), no logit
# KD, CE weight 1; the CIFAR-100 schedule of mdistiller (batch 64, 240 epochs, lr 0.05
# in the pair base).
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
