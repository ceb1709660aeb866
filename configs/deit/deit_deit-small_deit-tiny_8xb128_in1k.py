# DeiT distillation through the distillation token (Touvron et al., "Training
# data-efficient image transformers & distillation through attention", ICML 2021, arXiv
# 2012.12877), MMPretrain's DeiT-Small -> distilled DeiT-Tiny (class + distillation
# tokens), ImageNet-1k; no source reports this pair. Hard distillation as DeiT's
# losses.py (facebookresearch/deit@277659c93759ee7c560511864e4d62d137c15511): the class
# token learns the labels (label smoothing 0.1, Mixup/CutMix) at weight 1 - a, the
# distillation token the teacher's argmax at weight a = 0.5 (`--distillation-alpha`);
# the test-time prediction averages both heads. Student drop path 0.1 and DeiT's
# training recipe (_base_/deit_in1k.py: 5-epoch warm-up, no gradient clipping, repeated
# augmentation x3, AMP fp16 on GPU). See configs/deit/README.md.
_base_ = ['./_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='{{ fileDirname }}/../_base_/models/vit/'
    'deit-tiny-distilled_distill-head_drop-path-0.1.py',
    teacher='mmpretrain::deit/deit-small_4xb256_in1k.py',
    teacher_ckpt='checkpoints/deit_teachers/deit-small_pt-4xb256_in1k.pth',
    distill_losses=dict(
        loss_deit=dict(type='DeiTDistillTokenLoss', mode='hard', loss_weight=0.5)),
    student_taps=dict(dist_logits='head.layers.head_dist'),
    student_loss_weight=0.5)
