# NKD alone (T 1, gamma 1), DeiT III-base -> DeiT-small, ImageNet-1k; no reported result
# for this pair. Student CE (label smoothing 0.1) at weight 1. See
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
