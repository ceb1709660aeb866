# ViTKD alone (cls_KD configs with nkd = False), DeiT III-small -> DeiT-tiny,
# ImageNet-1k; reported top-1 76.06 (cls_KD vitkd.md / nkd.md). Student CE (label
# smoothing 0.1) at weight 1. See configs/vitkd/README.md.
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
