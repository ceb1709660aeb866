# USKD (teacher-free self-distillation), MobileNetV2 student, CIFAR-100
# (methods_logit.md section 8). The spec has no CIFAR zoo USKD result: alpha 0.1, beta
# 0.1, mu 0.1 are cls_KD's CIFAR values (its ResNet-18 config), added to the student CE
# at weight 1. The weak head reads the stage before the last of the zoo's default
# `feats` taps (the fourth of its five feature taps: 48 channels).
_base_ = [
    '../_base_/models/cifar/MobileNetV2.py',
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
            in_channels=48,
            num_classes=100,
            alpha=0.1,
            beta=0.1,
            mu=0.1,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)

# lr 0.01 for MobileNetV2 / ShuffleNet students (methods_logit.md section 1).
optim_wrapper = dict(optimizer=dict(lr=0.01))
