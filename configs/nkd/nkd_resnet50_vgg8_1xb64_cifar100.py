# NKD, ResNet50 -> VGG8, CIFAR-100 (methods_logit.md sections 8 and 10). The spec gives
# no per-pair NKD value: T 3 and gamma 3.5 are cls_KD's CIFAR defaults (section 8), NKD
# added to the student CE at weight 1. The pair is one of SDD's CIFAR-100 NKD results
# (section 10). lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=3.0, gamma=3.5, loss_weight=1.0)),
    student_loss_weight=1.0)
