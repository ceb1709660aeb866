# NKD (Yang et al., "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
# Approach with Normalized Loss and Customized Soft Labels", ICCV 2023, arXiv 2303.13005),
# DeiT III-Large -> DeiT-Base, ImageNet-1k. Reported 84.96 top-1:
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66: nkd.md (table "NKD"), whose link
# names deit-s3_distill_deit-t_img.py by mistake; the code of this pair is
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/deit-l3_distill_deit-b_img.py (branch master), with NKD
# alone (`vitkd = False`, `nkd = True`): NKDLoss temp 1, gamma 1; the student CE (label
# smoothing 0.1) at weight 1; student configs/deit/deit-base_pt-16xb64_in1k.py of that
# commit (drop path 0.1; EMAHook momentum 4e-5, below); teacher: MMPretrain's DeiT III
# (ImageNet-21k pre-trained); master loaded the authors' own deit-*_pt3.pth (vitkd.md's
# T_weight links), not compared (unverified). The teacher runs in eval mode: master's
# teacher has drop path 0 and no BatchNorm, so its train mode changes nothing. Recipe:
# _base_/deit_in1k.py. See configs/vitkd/README.md.
_base_ = ['./_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='mmpretrain::deit/deit-base_16xb64_in1k.py',
    teacher='mmpretrain::deit3/deit3-large-p16_64xb64_in1k.py',
    teacher_ckpt='checkpoints/vitkd_teachers/deit3-large-p16_in21k-pre_in1k.pth',
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.0, loss_weight=1.0),
    ),
    student_loss_weight=1.0)

# The DeiT-Base student config's EMA (configs/deit/deit-base_pt-16xb64_in1k.py:
# EMAHook momentum 4e-5, priority ABOVE_NORMAL): validation and checkpoints use the
# averaged weights.
custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
