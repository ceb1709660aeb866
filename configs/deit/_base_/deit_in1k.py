# Data, schedule and runtime of DeiT's own distillation runs (Touvron et al., "Training
# data-efficient image transformers & distillation through attention", ICML 2021, arXiv
# 2012.12877), facebookresearch/deit@277659c93759ee7c560511864e4d62d137c15511: main.py's
# defaults (timm 0.3.2), engine.py, samplers.py, datasets.py:
# - RandomResizedCrop 224 (bicubic), flip, RandAugment rand-m9-mstd0.5-inc1,
#   RandomErasing 0.25 (per-pixel noise); val: resize 256 (bicubic), center crop 224
#   (timm's create_transform; MMPretrain's imagenet_bs64_swin_224.py is the same);
# - repeated augmentation: every image 3 times per epoch, each copy on another GPU,
#   about one dataset's worth of images per epoch (`--repeated-aug` on by default,
#   RASampler; MMPretrain's RepeatAugSampler is DeiT's sampler), the last incomplete
#   batch dropped (`drop_last=True`);
# - AdamW, lr 5e-4 x 1024 / 512 = 1e-3 for 1024 images per step (8 x 128 here; the
#   README ran 4 x 256 or 16 x 64; ViTs have no BatchNorm), weight decay 0.05, none on
#   1-D parameters, biases and the tokens / position embedding (timm's add_weight_decay
#   with no_weight_decay()); no gradient clipping (`--clip-grad` None);
# - mixed precision: autocast fp16 with a dynamic loss scale (engine.py, NativeScaler):
#   AmpOptimWrapper, which needs a GPU (MMEngine refuses it on CPU; tools/smoke.py runs
#   the config in fp32); set optim_wrapper = dict(type='OptimWrapper') for fp32 runs;
# - 300 epochs; the lr schedule below. DeiT's ModelEma is kept but never evaluated, so
#   it has no counterpart here; DeiT releases its last checkpoint (checkpoint.pth,
#   overwritten every epoch): compare with the last epoch's top-1.
# Mixup 0.8 / CutMix 1.0 (switch 0.5) and label smoothing 0.1 come with the student's
# model config (batch augments, label-smoothed loss).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../../_base_/default_runtime.py',
]
train_dataloader = dict(
    batch_size=128,
    sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
    drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.dist_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        }),
    clip_grad=None,
)

# timm's CosineLRScheduler (t_initial 300, lr_min 1e-5, warmup_t 5 from warmup_lr 1e-6),
# stepped once per epoch after it (`lr_scheduler.step(epoch)` in main.py): epoch e
# (0-based) trains at L(e - 1), epoch 0 at 1e-6, with L(t) = 1e-6 + t (1e-3 - 1e-6) / 5
# for t < 5 and 1e-5 + (1e-3 - 1e-5) (1 + cos(pi t / 300)) / 2 after. Per-epoch
# MMEngine schedulers: 1e-6 for epochs 0 and 1 (ConstantLR, then LinearLR's start), the
# linear warm-up over epochs 1-6, and from epoch 1 the cosine with T_max 300 (overlapping
# the warm-up, so its argument is e - 1). They stay within 4.3e-4 (relative) of DeiT's
# values during the warm-up and 4e-6 after (computed with these schedulers).
param_scheduler = [
    dict(type='ConstantLR', factor=1e-3, by_epoch=True, begin=0, end=2),
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=1, end=7),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        T_max=300,
        by_epoch=True,
        begin=1,
        end=300),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
