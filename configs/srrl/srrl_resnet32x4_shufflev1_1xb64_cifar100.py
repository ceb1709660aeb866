# SRRL (Yang, Martinez, Bulat, Tzimiropoulos, "Knowledge Distillation via Softmax
# Regression Representation Learning", ICLR 2021, openreview ZzwDy_wiWv), ResNet32x4 ->
# ShuffleNetV1, CIFAR-100: the student's layer3 (default feats[-1]) 960@4 through a 1x1
# conv-BN-ReLU connector to the teacher's 256 channels, pooled, matched to the teacher's
# pooled vector (weight 1) and passed through the teacher's frozen classifier against its
# logits (weight 5: sr_weight is `beta=5.0` of cls_KD's only CIFAR-100 SRRL setting,
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/cifar100/res34_distill_res18_cifar.py; 1 in the official ImageNet
# code). No source reports this pair. CE weight 1; the CIFAR-100 schedule of mdistiller
# (batch 64, 240 epochs, lr 0.01 in the pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_srrl=dict(
            type='SRRLLoss',
            student_channels=960,
            teacher_channels=256,
            fm_weight=1.0,
            sr_weight=5.0)),
    student_loss_weight=1.0)

# lr 0.01 for MobileNetV2 / ShuffleNet students, the CIFAR-100 rule of
# HobbitLong/RepDistiller@b84f547:train_student.py (L92-94) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
