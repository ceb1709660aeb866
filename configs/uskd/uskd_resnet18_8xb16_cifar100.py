# USKD (teacher-free self-distillation; Yang et al., "From Knowledge Distillation to
# Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized
# Soft Labels", ICCV 2023, arXiv 2303.13005), MMPretrain's CIFAR ResNet-18, CIFAR-100.
# No source reports a number for it; the recipe is the authors' CIFAR-100 USKD config,
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:
# configs/distillers/cifar100/res18_sd_cifar.py (branch 1.0) on
# configs/resnet/resnet18_8xb16_cifar100.py:
# - USKDLoss channel 256, alpha 0.1, beta 0.1, mu 0.1, the weak head on the GAP of
#   ResNet stage 3 of 4 (fea_s[-2] with out_indices=(2, 3)), added to the CE (weight 1);
# - 8 GPUs x 16 images; MMClassification's CIFAR-100 normalisation, mean (129.304,
#   124.070, 112.434), std (68.170, 65.392, 70.418), RandomCrop 32 pad 4 + flip
#   (configs/_base_/datasets/cifar100_bs16.py);
# - configs/_base_/schedules/cifar10_bs128.py: SGD lr 0.1, momentum 0.9, weight decay
#   1e-4, 200 epochs, x0.1 at 100/150. resnet18_8xb16_cifar100.py also sets the legacy
#   `optimizer` (weight decay 5e-4) and `lr_config` (x0.2 at 60/120/160) keys, which
#   MMEngine ignores on this branch. Branch master
#   (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935, mmcv runner) applies them:
#   weight decay 5e-4, x0.2 at 60/120/160, 200 epochs; for that variant set
#   optim_wrapper = dict(optimizer=dict(weight_decay=5e-4)) and
#   param_scheduler = dict(milestones=[60, 120, 160], gamma=0.2).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    '../_base_/default_runtime.py',
]

data_preprocessor = dict(mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])
train_dataloader = dict(batch_size=16)

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
