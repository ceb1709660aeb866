# SRRL, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_feature.md 3.15): the student's final
# BN-ReLU output (backbone.relu, the map its classifier pools) 128@8 through a 1x1
# conv-BN-ReLU connector to the teacher's 128 channels, pooled, matched to the teacher's
# pooled vector (weight 1) and passed through the teacher's frozen classifier against
# its logits (weight 5, cls_KD's CIFAR-100 config; 1 in the official ImageNet code). CE
# weight 1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=['backbone.relu']),
    distill_losses=dict(
        loss_srrl=dict(
            type='SRRLLoss',
            student_channels=128,
            teacher_channels=128,
            fm_weight=1.0,
            sr_weight=5.0)),
    student_loss_weight=1.0)
