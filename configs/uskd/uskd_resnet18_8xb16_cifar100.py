# USKD (teacher-free self-distillation), CIFAR ResNet-18 student, CIFAR-100
# (methods_logit.md section 8): cls_KD's CIFAR setting, alpha 0.1, beta 0.1, mu 0.1, the
# weak head on the GAP of ResNet stage 3 of 4 (256 channels; cls_KD takes fea_s[-2] with
# out_indices=(2, 3)), added to the student CE at weight 1. The spec records no CIFAR
# result and not cls_KD's CIFAR USKD schedule: this uses the standard CIFAR-100 schedule
# (SGD 0.05, 240 epochs, batch 64) and the student of
# kd_resnet50_resnet18_1xb64_cifar100.
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ClassificationDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            num_stages=4,
            out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher=None,
    # MMPretrain's ResNet_CIFAR declares no default taps: name stages 3 and 4.
    student_taps=dict(feats=['backbone.layer3', 'backbone.layer4']),
    distill_losses=dict(
        loss_uskd=dict(
            type='USKDLoss',
            in_channels=256,
            num_classes=100,
            alpha=0.1,
            beta=0.1,
            mu=0.1,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
