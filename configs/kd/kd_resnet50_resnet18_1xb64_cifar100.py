# KD (Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network", arXiv
# 1503.02531) from MMPretrain's ResNet-50 CIFAR-100 model (79.90 top-1) to a CIFAR
# ResNet-18, a pair no paper reports (no number is cited), with the KD recipe of the CRD
# CIFAR-100 benchmark: HobbitLong/RepDistiller@b84f547:train_student.py `--distill kd -r
# 0.1 -a 0.9 -b 0` (T 4, KD weight 0.9, CE weight 0.1), batch 64, SGD momentum 0.9,
# weight decay 5e-4, 240 epochs, lr 0.05, x0.1 after epochs 150/180/210 (the bases).
_base_ = [
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

# MMPretrain's CIFAR-100 statistics, which its ResNet-50 teacher was trained with
# (mmpretrain configs/_base_/datasets/cifar100_bs16.py), not the RepDistiller ones.
data_preprocessor = dict(mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])

model = dict(
    type='ClassificationDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            num_stages=4,
            out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    # The teacher's architecture comes from MMPretrain's own config; its weights are
    # downloaded (once, into the torch hub cache) when training starts for real.
    teacher='mmpretrain::resnet/resnet50_8xb16_cifar100.py',
    teacher_ckpt='https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet50_b16x8_cifar100_20210528-67b58a1b.pth',
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1,
)
