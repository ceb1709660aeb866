# DIST, ResNet32x4 -> ShuffleNetV1, CIFAR-100 (methods_logit.md section 12,
# image_classification_sota's `kd: dist_t4` CIFAR recipe): tau 4, beta 1, gamma 1, KD
# weight 2, CE weight 1, lr 0.01 (pair base). (The reference reaches the schedule base's
# decays at 150/180/210 with 120 constant-lr 'warm-up' epochs followed by StepLR(30,
# 0.1).)
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, temperature=4.0, loss_weight=2.0)),
    student_loss_weight=1.0)
