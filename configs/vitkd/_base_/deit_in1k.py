# Data, schedule and runtime of the ViTKD / NKD DeiT configs: the recipe of cls_KD's
# branch master, whose configs produced the cited numbers
# (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935: the student configs
# configs/deit/deit-{tiny,small}_pt-4xb256_in1k.py and deit-base_pt-16xb64_in1k.py, the
# schedule configs/_base_/schedules/imagenet_bs1024_adamw_swin.py, the data
# configs/_base_/datasets/imagenet_bs64_swin_224.py), built from MMPretrain's copies of
# those bases:
# - RandomResizedCrop 224 (bicubic), flip, RandAugment (timm_increasing, m9, std 0.5),
#   RandomErasing 0.25; val: resize 256, center crop 224;
# - AdamW lr 5e-4 * 1024 / 512 = 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.05,
#   none on norms, biases, cls_token and pos_embed; gradient clipping 5; 1024 images per
#   step (8 x 128 here; master ran DeiT-Tiny on 4 x 256, DeiT-Base on 16 x 64; ViTs have
#   no BatchNorm), 300 epochs;
# - Mixup 0.8 / CutMix 1.0 and label smoothing 0.1 come with the student's model config
#   (the distiller takes its train_cfg as batch augments, as master's distiller does;
#   branch 1.0 loses them).
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

# master's lr_config: mmcv's CosineAnnealing per iteration over all 300 epochs (1e-3 to
# 1e-5, min_lr_ratio 1e-2) multiplied, during the first 20 epochs, by a per-iteration
# linear warm-up factor from 1e-3 (warmup_ratio) to 1 (mmcv/runner/hooks/lr_updater.py,
# get_warmup_lr): lr(t) = [1e-5 + (1e-3 - 1e-5) (1 + cos(pi t / T)) / 2] x
# min(1, 1e-3 + (1 - 1e-3) t / W). The two MMEngine schedulers below overlap over the
# warm-up and multiply; they differ from that curve only by eta_min's share during the
# warm-up and LinearLR reaching 1 one iteration before epoch 20: at most 1.5e-4 relative
# (1.5e-7 absolute) over the run at 1252 iterations per epoch (computed with these
# schedulers). The cosine phase's end is written out (300 epochs) so that the config also
# runs with fewer epochs (tools/smoke.py).
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=300,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
