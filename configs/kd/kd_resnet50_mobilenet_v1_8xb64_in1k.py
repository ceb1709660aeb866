# KD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_logit.md section 2, mdistiller
# configs/imagenet/*/kd.yaml): T 1, KD weight 0.5, CE weight 0.5.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)

# mdistiller's ImageNet recipe (methods_logit.md section 1): 8 GPUs x 64 images
# (batch 512), lr 0.2.
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
