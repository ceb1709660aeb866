# DKD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_logit.md section 3, mdistiller
# configs/imagenet/*/dkd.yaml): beta 2.0 for this pair; alpha 1, T 1, warm-up 1 epoch
# (factor 1 from the first epoch), CE weight 1.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=2.0,
            temperature=1.0,
            warmup_epochs=1,
            loss_weight=1.0)),
    student_loss_weight=1.0)

# mdistiller's ImageNet recipe (methods_logit.md section 1): 8 GPUs x 64 images
# (batch 512), lr 0.2.
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
