# NKD (Yang et al., "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
# Approach with Normalized Loss and Customized Soft Labels", ICCV 2023, arXiv 2303.13005),
# ResNet32x4 -> ShuffleNetV2, CIFAR-100, as the paper defines it: the non-target part
# without the label class (NKDLoss). No source reports this pair with this recipe (the
# cited NKD number of this pair is SDD's re-run,
# nkd-sdd_resnet32x4_shufflev2_1xb64_cifar100.py). T 3, gamma 3.5: the authors' only
# CIFAR-100 NKD setting (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/cifar100/res34_distill_res18_cifar.py), NKD added to the student CE
# at weight 1, no warm-up; the CIFAR-100 schedule of mdistiller and SDD (batch 64, 240
# epochs, lr 0.01 in the pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=3.0, gamma=3.5, loss_weight=1.0)),
    student_loss_weight=1.0)

# lr 0.01 for MobileNetV2 / ShuffleNet students, the CIFAR-100 rule of
# HobbitLong/RepDistiller@b84f547:train_student.py (L92-94) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
