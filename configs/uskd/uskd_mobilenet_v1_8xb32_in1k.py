# USKD (teacher-free self-distillation; Yang et al., "From Knowledge Distillation to
# Self-Knowledge Distillation: A Unified Approach with Normalized Loss and Customized
# Soft Labels", ICCV 2023, arXiv 2303.13005), MobileNetV1 student, ImageNet-1k.
# Reported 70.38 top-1 (69.21 without USKD):
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:nkd.md (table "USKD"), run with
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/mv1_sd_img.py (branch master), whose settings this config
# repeats: USKDLoss channel 512, alpha 1, beta 0.1, mu 0.005, the weak head on the GAP
# of the 512-channel feature (cls_KD's MobileNetV1 `model` output, block 11, 512@14;
# here feats[-2] of the backbone's default taps), added to the student CE at weight 1;
# cls_KD's MobileNetV1 initialisation, Kaiming convs, BN 1, classifier Normal(0, 0.01)
# (mmcls/models/backbones/mobilenet_v1.py; the model file below); no gradient clipping
# (mv1_sd_img.py sets none); MMClassification's ImageNet recipe of
# configs/mobilenet_v1/mobilenet_v1.py (SGD 0.1, momentum 0.9, weight decay 1e-4, 100
# epochs, x0.1 at 30/60/90), which MMPretrain's bases below are. 8 GPUs x 32 images is
# inferred from the config names (nkd.md shows a one-GPU command only).
_base_ = [
    '../_base_/models/imagenet/mobilenet_v1_mmcls_init.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
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
            in_channels=512,
            num_classes=1000,
            alpha=1.0,
            beta=0.1,
            mu=0.005,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
