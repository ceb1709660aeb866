# `ResNet50` of the CIFAR zoo trained alone on CIFAR-100 (no teacher), with
# HobbitLong/RepDistiller@b84f547:train_teacher.py `--model ResNet50`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_vanilla.sh), the script of the CRD
# teachers (the CRD paper, ICLR 2020, arXiv 1910.10699): batch 64, SGD momentum 0.9,
# weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
# HobbitLong/RepDistiller@b84f547:README.md reports 79.34 for it as a teacher (last epoch,
# train_teacher.py L161-162). At this commit train_teacher.py's --model choices omit
# ResNet50 (run_cifar_vanilla.sh calls it): the released ResNet50 teacher came from a
# variant of the script, assumed to share its recipe.
_base_ = [
    '../_base_/models/cifar/ResNet50.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]
