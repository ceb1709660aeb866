# `resnet32` of the CIFAR zoo trained alone on CIFAR-100 (no teacher), with the recipe of
# RepDistiller's train_teacher.py (the CRD teachers): batch 64, SGD, 240 epochs, x0.1
# after epochs 150/180/210, lr 0.05 (methods_feature.md section 1.1).
_base_ = [
    '../_base_/models/cifar/resnet32.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]
