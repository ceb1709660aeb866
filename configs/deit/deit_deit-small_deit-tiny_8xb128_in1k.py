# DeiT distillation through the distillation token (Touvron et al., ICML 2021), DeiT-Small
# -> distilled DeiT-Tiny (class + distillation tokens), ImageNet-1k, DeiT recipe
# (configs/vitkd/_base_/deit_in1k.py). Hard distillation: the class token learns the
# labels (CE with label smoothing 0.1, Mixup/CutMix) at weight 1 - a, the distillation
# token the teacher's argmax at weight a = 0.5 (DeiT's distillation-alpha); the test-time
# prediction averages both heads. See configs/deit/README.md.
_base_ = ['../vitkd/_base_/deit_in1k.py']

model = dict(
    type='ClassificationDistiller',
    student='{{ fileDirname }}/../_base_/models/vit/deit-tiny-distilled_distill-head.py',
    teacher='mmpretrain::deit/deit-small_4xb256_in1k.py',
    teacher_ckpt='checkpoints/deit_teachers/deit-small_pt-4xb256_in1k.pth',
    distill_losses=dict(
        loss_deit=dict(type='DeiTDistillTokenLoss', mode='hard', loss_weight=0.5)),
    student_taps=dict(dist_logits='head.layers.head_dist'),
    student_loss_weight=0.5)
