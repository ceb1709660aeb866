# Data, schedule and runtime of the ViTKD / NKD / DeiT distillation configs: the DeiT
# recipe of MMPretrain's deit/deit-tiny_4xb256_in1k.py (the student config of cls_KD's
# ViTKD configs), built from the same MMPretrain bases:
# - RandomResizedCrop 224 (bicubic), flip, RandAugment (timm_increasing, m9, std 0.5),
#   RandomErasing 0.25; val: resize 256, center crop 224;
# - AdamW lr 5e-4 * 1024 / 512 = 1e-3, weight decay 0.05, no decay on norms, biases,
#   cls_token and pos_embed; 20-epoch linear warm-up (from 1e-3) then cosine to 1e-5,
#   300 epochs; gradient clipping 5; 8 x 128 = 1024 images (auto_scale_lr base 1024);
# - Mixup 0.8 / CutMix 1.0 and label smoothing 0.1 come with the student's model config
#   (the distiller takes its train_cfg as batch augments: cls_KD's 1.0 branch loses them,
#   methods_feature.md section 3.16, pitfall 3).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)

optim_wrapper = dict(
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    clip_grad=dict(max_norm=5.0),
)

# The bases' schedule, with the cosine phase's end written out (300 epochs) so that the
# config also runs with fewer epochs (tools/smoke.py) instead of ending before it begins.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=20,
        end=300,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
