# PKT (Passalis, Tefas, "Learning Deep Representations with Probabilistic Knowledge
# Transfer", ECCV 2018, arXiv 1803.10837), WRN-40-2 -> WRN-40-1, CIFAR-100: the pooled
# penultimate vectors, weight 30000, CE weight 1.
# Cited 73.45: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill pkt -a 0 -b 30000`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): PKT loss of feat[-1]
# times 30000, CE weight 1, no KD; batch 64, SGD momentum 0.9, weight decay 5e-4, 240
# epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_pkt=dict(type='PKTLoss', loss_weight=30000.0)),
    student_loss_weight=1.0)
