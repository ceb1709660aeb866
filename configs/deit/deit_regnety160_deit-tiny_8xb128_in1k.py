# DeiT distillation with its paper's teacher: a timm RegNetY-16GF (82.9 % top-1 in DeiT's
# table; `TimmClassifier`, timm-native checkpoint keys) -> distilled DeiT-Tiny, hard
# distillation through the distillation token (a = 0.5), DeiT recipe
# (configs/vitkd/_base_/deit_in1k.py). The DeiT paper reports 74.5 top-1 for the
# distilled DeiT-Tiny (72.2 without distillation; not yet in the project's spec).
# Teacher and student read the same 224 px images and the same ImageNet normalisation
# (timm's regnety_160 uses the ImageNet mean/std). See configs/deit/README.md.
_base_ = ['./deit_deit-small_deit-tiny_8xb128_in1k.py']

model = dict(
    teacher=dict(
        _delete_=True,
        type='TimmClassifier',
        model_name='regnety_160',
        num_classes=1000,
        pretrained=False),
    teacher_ckpt='checkpoints/deit_teachers/regnety_160_in1k.pth')
