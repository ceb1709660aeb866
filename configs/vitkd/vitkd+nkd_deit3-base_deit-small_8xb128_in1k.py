# ViTKD + NKD (T 1, gamma 1): what cls_KD's shipped configs run, DeiT III-base -> DeiT-
# small, ImageNet-1k; reported top-1 83.59 (cls_KD vitkd.md / nkd.md). Student CE (label
# smoothing 0.1) at weight 1. See configs/vitkd/README.md.
_base_ = ['./_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='mmpretrain::deit/deit-small_4xb256_in1k.py',
    teacher='mmpretrain::deit3/deit3-base-p16_64xb64_in1k.py',
    teacher_ckpt='checkpoints/vitkd_teachers/deit3-base-p16_in21k-pre_in1k.pth',
    distill_losses=dict(
        loss_vitkd=dict(
            type='ViTKDLoss',
            student_channels=384,
            teacher_channels=768,
            num_extra_tokens_s=1,
            num_extra_tokens_t=1,
            alpha=3e-5,
            beta=3e-6,
            mask_ratio=0.5),
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.0, loss_weight=1.0),
    ),
    # layers 0 and 1, and the last layer after the final LayerNorm (ln1)
    student_taps=dict(tokens=['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']),
    teacher_taps=dict(tokens=['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']),
    student_loss_weight=1.0,
    shape_probe=(3, 224, 224))  # token widths and counts checked at build
