# FitNet (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015, arXiv 1412.6550),
# ResNet56 -> ResNet20, CIFAR-100: one hint on feats[2] (index 0 is the stem), here layer2
# of both, 32@16 -> 32@16: 1x1 conv regressor; hint weight 100, CE weight 1.
# Cited 69.21: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill hint -a 0 -b 100`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): MSE hint on feat[2]
# (--hint_layer 2) times 100, CE weight 1 (-r default), no KD; the ConvReg regressor
# (HobbitLong/RepDistiller@b84f547:models/util.py) trains with the student; batch 64, SGD
# momentum 0.9, weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05
# (the bases).
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=32,
            teacher_channels=32,
            hint_stage=2,
            loss_weight=100.0)),
    student_loss_weight=1.0)
