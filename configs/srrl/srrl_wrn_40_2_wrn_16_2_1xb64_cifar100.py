# SRRL (Yang, Martinez, Bulat, Tzimiropoulos, "Knowledge Distillation via Softmax
# Regression Representation Learning", ICLR 2021, openreview ZzwDy_wiWv), WRN-40-2 ->
# WRN-16-2, CIFAR-100: the student's final BN-ReLU output (backbone.relu, the map its
# classifier pools) 128@8 through a 1x1 conv-BN-ReLU connector to the teacher's 128
# channels, pooled, matched to the teacher's pooled vector (weight 1) and passed through
# the teacher's frozen classifier against its logits (weight 5: sr_weight is `beta=5.0` of
# cls_KD's only CIFAR-100 SRRL setting,
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/cifar100/res34_distill_res18_cifar.py; 1 in the official ImageNet
# code). No source reports this pair. CE weight 1; the CIFAR-100 schedule of mdistiller
# (batch 64, 240 epochs, lr 0.05 in the pair base).
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
