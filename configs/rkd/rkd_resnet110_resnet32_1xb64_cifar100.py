# RKD (Park, Kim, Lu, Cho, "Relational Knowledge Distillation", CVPR 2019, arXiv
# 1904.05068), ResNet110 -> ResNet32, CIFAR-100: the pooled penultimate vectors, distance
# weight 25, angle weight 50, weight 1, CE weight 1.
# Cited 71.82: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill rkd -a 0 -b 1`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): RKDLoss (distance 25,
# angle 50) of feat[-1] times 1, CE weight 1, no KD; batch 64, SGD momentum 0.9, weight
# decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_rkd=dict(
            type='RKDLoss', distance_weight=25.0, angle_weight=50.0, loss_weight=1.0)),
    student_loss_weight=1.0)
