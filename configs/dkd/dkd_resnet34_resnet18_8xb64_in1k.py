# DKD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md section 3, mdistiller
# configs/imagenet/*/dkd.yaml): beta 0.5 for this pair; alpha 1, T 1, warm-up 1 epoch
# (factor 1 from the first epoch), CE weight 1.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dkd=dict(
            type='DKDLoss',
            alpha=1.0,
            beta=0.5,
            temperature=1.0,
            warmup_epochs=1,
            loss_weight=1.0)),
    student_loss_weight=1.0)

# mdistiller's ImageNet recipe (methods_logit.md section 1): 8 GPUs x 64 images
# (batch 512), lr 0.2.
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
