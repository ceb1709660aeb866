# KD + logit standardisation, ResNet32x4 -> ShuffleNetV2, CIFAR-100 (methods_logit.md
# section 13): base temperature 2, kd weight 9 from the repository's default (the README
# lists no other value for this pair); CE weight 0.1, lr 0.01 (pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lskd=dict(type='LSKDLoss', temperature=2.0, loss_weight=9.0)),
    student_loss_weight=0.1)
