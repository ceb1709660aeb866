# WSLD, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_logit.md section 8). The spec
# gives no per-pair WSLD value: cls_KD's CIFAR default T 4, alpha (loss_weight) 2.25,
# added to the student CE at weight 1, lr 0.01 (pair base). The pair is one of the
# standard mdistiller CIFAR-100 pairs (no WSLD result is recorded in the spec).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_wsld=dict(type='WSLDLoss', temperature=4.0, loss_weight=2.25)),
    student_loss_weight=1.0)
