# ER-KD, VGG13 -> VGG8, CIFAR-100 (methods_logit.md section 5). KD (T 4, KD weight 0.9,
# CE weight 0.1, the cfg defaults) with each sample weighted by the teacher entropy at
# t_H 4. The pairs are those of the ER-KD repository's CIFAR configs (no ER-KD result in
# the spec). lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(type='KDLoss', temperature=4.0, loss_weight=0.9),
            entropy_temperature=4.0)),
    student_loss_weight=0.1)
