# KD (Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network", arXiv
# 1503.02531), ResNet110 -> ResNet32, CIFAR-100: T 4, KD weight 0.9, CE weight 0.1.
# Cited 73.08: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill kd -r 0.1 -a 0.9 -b 0`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): CE weight 0.1, KD weight
# 0.9, T 4 (--kd_T default); batch 64, SGD momentum 0.9, weight decay 5e-4, 240 epochs, lr
# x0.1 after epochs 150/180/210, lr 0.05 (the bases).
# megvii-research/mdistiller@a08d46f:README.md repeats the number (its KD rows copy
# RepDistiller's).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)
