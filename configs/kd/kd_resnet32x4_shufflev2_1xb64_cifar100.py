# KD, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_logit.md section 2). mdistiller's
# KD recipe (its kd.yaml exists only for ResNet32x4 -> ResNet8x4; the other pairs use
# the same loss settings): T 4, KD weight 0.9, CE weight 0.1, lr 0.01 (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)
