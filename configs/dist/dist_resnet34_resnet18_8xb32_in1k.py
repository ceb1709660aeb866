# DIST, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md section 12,
# image_classification_sota `kd: dist`): tau 1, beta 1, gamma 1, KD weight 2, CE weight
# 1; 8 x 32 images, lr 0.1, x0.1 every 30 epochs, 100 epochs, weight decay 1e-4, no
# label smoothing: the pair base's schedule.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, temperature=1.0, loss_weight=2.0)),
    student_loss_weight=1.0)
