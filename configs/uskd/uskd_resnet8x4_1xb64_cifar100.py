# USKD (teacher-free self-distillation; Yang et al., "From Knowledge Distillation to
# Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized
# Soft Labels", ICCV 2023, arXiv 2303.13005), resnet8x4 student, CIFAR-100.
# No source reports USKD for this student: alpha 0.1, beta 0.1, mu 0.1 are the authors'
# CIFAR-100 values (yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:
# configs/distillers/cifar100/res18_sd_cifar.py, a CIFAR ResNet-18), added to the student
# CE at weight 1, on the mdistiller CIFAR-100 schedule (batch 64, 240 epochs, lr 0.05).
# The weak head reads the stage before the last of the zoo's default `feats` taps
# (layer2, the second of its three stages: 128 channels).
_base_ = [
    '../_base_/models/cifar/resnet8x4.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='ClassificationDistiller',
    student={{_base_.model}},
    teacher=None,
    distill_losses=dict(
        loss_uskd=dict(
            type='USKDLoss',
            in_channels=128,
            num_classes=100,
            alpha=0.1,
            beta=0.1,
            mu=0.1,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
