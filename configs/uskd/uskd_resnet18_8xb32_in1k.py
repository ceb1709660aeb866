# USKD (teacher-free self-distillation; Yang et al., "From Knowledge Distillation to
# Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized
# Soft Labels", ICCV 2023, arXiv 2303.13005), ResNet-18 student, ImageNet-1k.
# Reported 70.79 top-1 (69.90 without USKD):
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:nkd.md (table "USKD"), run with
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res18_sd_img.py (branch master), whose settings this
# config repeats: USKDLoss channel 256, alpha 1, beta 0.1, mu 0.005, the weak head on
# the GAP of ResNet stage 3 of 4 (fea_s[-2] with out_indices=(2, 3)), added to the
# student CE at weight 1; MMClassification's ImageNet recipe of
# configs/resnet/resnet18_b32x8_imagenet.py (SGD 0.1, momentum 0.9, weight decay 1e-4,
# 100 epochs, x0.1 at 30/60/90), which MMPretrain's bases below are. 8 GPUs x 32 images
# is inferred from that config's name (nkd.md shows a one-GPU command only).
_base_ = [
    '../_base_/models/imagenet/resnet18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='ClassificationDistiller',
    student={{_base_.model}},
    teacher=None,
    # MMPretrain's ResNet declares no default taps: name stages 3 and 4.
    student_taps=dict(feats=['backbone.layer3', 'backbone.layer4']),
    distill_losses=dict(
        loss_uskd=dict(
            type='USKDLoss',
            in_channels=256,
            num_classes=1000,
            alpha=1.0,
            beta=0.1,
            mu=0.005,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
