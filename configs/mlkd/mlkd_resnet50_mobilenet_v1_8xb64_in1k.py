# MLKD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_logit.md section 4,
# configs/imagenet/*/kd_ours.yaml of the original): T_0 1 (temperatures 1, 3, 5, 2, 6), KD
# weight 0.5, CE 0.5 on both views, 8 GPUs x 64 images, lr 0.2, 100 epochs, x0.1 at
# 30/60/90, weight decay 1e-4.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs64_two_views.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_mlkd=dict(type='MLKDLoss', temperature=1.0, loss_weight=0.5),
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.5)),
    student_loss_weight=0.5)

optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
