# DeiT distillation through the distillation token (Touvron et al., "Training
# data-efficient image transformers & distillation through attention", ICML 2021, arXiv
# 2012.12877) from a teacher that expects another input: timm's ViT-B/16 at 384 px
# (`vit_base_patch16_384.augreg_in21k_ft_in1k`, mean = std = 0.5 in [0, 1] units) ->
# distilled DeiT-Tiny at 224 px with the ImageNet normalisation, hard distillation
# (a = 0.5), student drop path 0.1, DeiT's recipe
# (facebookresearch/deit@277659c93759ee7c560511864e4d62d137c15511; _base_/deit_in1k.py).
# One data preprocessor feeds both models; `teacher_input` gives the teacher the student's
# batch un-normalised, resized to 384 px (bicubic, antialiased) and normalised as the
# teacher was trained. Without it the teacher would see 224 px ImageNet-normalised images,
# which this timm model refuses (its patch grid is fixed at 384 px). No source reports
# this pair. See configs/deit/README.md.
_base_ = ['./deit_deit-small_deit-tiny_8xb128_in1k.py']

model = dict(
    teacher=dict(
        _delete_=True,
        type='TimmClassifier',
        model_name='vit_base_patch16_384',
        num_classes=1000,
        pretrained=False),
    teacher_ckpt=('checkpoints/deit_teachers/'
                  'vit_base_patch16_384_augreg_in21k_ft_in1k.pth'),
    teacher_input=dict(
        size=384,
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        interpolation='bicubic'))
