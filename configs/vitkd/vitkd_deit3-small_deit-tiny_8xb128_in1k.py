# ViTKD (Yang et al., "ViTKD: Practical Guidelines for ViT feature knowledge
# distillation", arXiv 2209.02432), DeiT III-Small -> DeiT-Tiny, ImageNet-1k. Reported
# 76.06 top-1: yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66: vitkd.md (column
# "ViTKD"), whose link points at the code that produced it,
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/deit-s3_distill_deit-t_img.py (branch master), with ViTKD
# alone (`vitkd = True`, `nkd = False`): ViTKDLoss alpha 3e-5, beta 3e-6, lambda 0.5 on
# the patch tokens of layers 0 and 1 (mimicking) and of the last layer after the final
# LayerNorm (generation); the student CE (label smoothing 0.1) at weight 1; student
# configs/deit/deit-tiny_pt-4xb256_in1k.py of that commit (drop path 0); teacher:
# MMPretrain's DeiT III (ImageNet-21k pre-trained); master loaded the authors' own
# deit-*_pt3.pth (vitkd.md's T_weight links), not compared (unverified). The teacher runs
# in eval mode: master's teacher has drop path 0 and no BatchNorm, so its train mode
# changes nothing. Recipe: _base_/deit_in1k.py. See configs/vitkd/README.md.
_base_ = ['./_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='mmpretrain::deit/deit-tiny_4xb256_in1k.py',
    teacher='mmpretrain::deit3/deit3-small-p16_64xb64_in1k.py',
    teacher_ckpt='checkpoints/vitkd_teachers/deit3-small-p16_in21k-pre_in1k.pth',
    distill_losses=dict(
        loss_vitkd=dict(
            type='ViTKDLoss',
            student_channels=192,
            teacher_channels=384,
            num_extra_tokens_s=1,
            num_extra_tokens_t=1,
            alpha=3e-5,
            beta=3e-6,
            mask_ratio=0.5),
    ),
    # layers 0 and 1, and the last layer after the final LayerNorm (ln1)
    student_taps=dict(tokens=['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']),
    teacher_taps=dict(tokens=['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']),
    student_loss_weight=1.0,
    shape_probe=(3, 224, 224))  # token widths and counts checked at build
