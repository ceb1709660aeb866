# DeiT distillation through the distillation token (Touvron et al., "Training
# data-efficient image transformers & distillation through attention", ICML 2021, arXiv
# 2012.12877) with its paper's teacher, RegNetY-16GF (timm `regnety_160`,
# `TimmClassifier`, DeiT's regnety_160-a5fe301d.pth) -> distilled DeiT-Tiny, ImageNet-1k.
# Reported 74.5 top-1 (72.2 without distillation): the "DeiT-tiny distilled" row of
# facebookresearch/deit@277659c93759ee7c560511864e4d62d137c15511:README.md (the paper's
# Table 5 was not re-read). That commit's main.py, engine.py and losses.py are the code:
# hard distillation (`--distillation-type hard`, `--distillation-alpha` 0.5, the README's
# command with `--teacher-model regnety_160`), the teacher in eval mode under no_grad on
# the same mixed 224 px batch with the ImageNet normalisation, student drop path 0.1, and
# the recipe of _base_/deit_in1k.py (5-epoch warm-up from 1e-6, cosine to 1e-5 stepped
# per epoch, no gradient clipping, repeated augmentation x3, AMP fp16 on GPU). See
# configs/deit/README.md.
_base_ = ['./deit_deit-small_deit-tiny_8xb128_in1k.py']

model = dict(
    teacher=dict(
        _delete_=True,
        type='TimmClassifier',
        model_name='regnety_160',
        num_classes=1000,
        pretrained=False),
    teacher_ckpt='checkpoints/deit_teachers/regnety_160_in1k.pth')
