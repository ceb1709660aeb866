# SP (Tung, Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019, arXiv
# 1907.09682), VGG13 -> VGG8, CIFAR-100: the last stage output of both, weight 3000, CE
# weight 1.
# Cited 72.68: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill similarity -a 0 -b 3000`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): similarity loss of
# feat[-2] times 3000, CE weight 1, no KD; batch 64, SGD momentum 0.9, weight decay 5e-4,
# 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/vgg13_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
    student_loss_weight=1.0)
