# KD + logit standardisation, ResNet-50 -> MobileNetV1, ImageNet-1k: a named
# extrapolation. sunshangquan/logit-standardization-KD@f6e5aa5 publishes no command or log
# for this pair: the schedule and CE weight are its configs/imagenet/r50_mv2/kd.yaml (CE
# 0.5, batch 512, lr 0.2), the base temperature 2 and KD weight 9 those of its R34 -> R18
# command. Paper: Sun, Ren, Li, Wang, Cao, "Logit Standardization in Knowledge
# Distillation", CVPR 2024, arXiv 2403.01427. The cited 72.18 (the paper's ImageNet table)
# could not be checked: unverified, and the paper's settings for it are unknown.
# - Schedule: batch 512 (8 GPUs x 64 here), SGD lr 0.2, momentum 0.9, weight decay 1e-4,
#   100 epochs, x0.1 at 30/60/90.
# - Data: JPEGs decoded and resized with PIL as the original's torchvision ImageFolder
#   pipeline, RandomResizedCrop 224 + flip, validation Resize(256) + CenterCrop(224)
#   (../_base_/datasets/imagenet_bs32_pil.py).
# - Teacher: torchvision's V1 weights (the pair base).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lskd=dict(type='LSKDLoss', temperature=2.0, loss_weight=9.0)),
    student_loss_weight=0.5)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
