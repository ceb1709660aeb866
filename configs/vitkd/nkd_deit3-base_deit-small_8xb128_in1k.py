# NKD (Yang et al., "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
# Approach with Normalized Loss and Customized Soft Labels", ICCV 2023, arXiv 2303.13005),
# DeiT III-Base -> DeiT-Small, ImageNet-1k. No source reports this pair with NKD alone;
# the recipe is that of the cited ViTKD runs,
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/deit-b3_distill_deit-s_img.py (branch master), with NKD
# alone (`vitkd = False`, `nkd = True`): NKDLoss temp 1, gamma 1; the student CE (label
# smoothing 0.1) at weight 1; student configs/deit/deit-small_pt-4xb256_in1k.py of that
# commit (drop path 0); teacher: MMPretrain's DeiT III (ImageNet-21k pre-trained); master
# loaded the authors' own deit-*_pt3.pth (vitkd.md's T_weight links), not compared
# (unverified). The teacher runs in eval mode: master's teacher has drop path 0 and no
# BatchNorm, so its train mode changes nothing. Recipe: _base_/deit_in1k.py. See
# configs/vitkd/README.md.
_base_ = ['./_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='mmpretrain::deit/deit-small_4xb256_in1k.py',
    teacher='mmpretrain::deit3/deit3-base-p16_64xb64_in1k.py',
    teacher_ckpt='checkpoints/vitkd_teachers/deit3-base-p16_in21k-pre_in1k.pth',
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.0, loss_weight=1.0),
    ),
    student_loss_weight=1.0)
