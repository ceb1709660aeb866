# KD + logit standardisation, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md
# section 13): KD on standardised logits with the LS repository's README command for
# ImageNet (base temperature 2, KD weight 9) on mdistiller's ImageNet KD recipe (CE 0.5, 8
# x 64 images, lr 0.2). The spec records these ImageNet settings and numbers as
# unverified.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
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
