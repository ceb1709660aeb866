# DIST, ResNet32x4 -> ResNet8x4, CIFAR-100: the recipe of
# hunto/image_classification_sota@d9662f7: sh tools/dist_train.sh 1
# configs/strategies/distill/dist_cifar.yaml (hunto/DIST_KD@2418f18:README.md). Paper:
# Huang, You, Wang, Qian, Xu, "Knowledge Distillation from A Stronger Teacher", NeurIPS
# 2022, arXiv 2205.10536. The cited 76.31 is the mean of the README's runs (mean +- std).
# - Loss (kd: dist_t4): CE 1 + 2 x DIST (tau 4, beta 1, gamma 1).
# - Optimizer (dist_cifar.yaml): SGD lr 0.05, momentum 0.9, no Nesterov, weight decay 5e-4
#   on all parameters (opt_no_filter).
# - Schedule: batch 64, 240 epochs: 120 constant-lr "warm-up" epochs then StepLR(30, 0.1),
#   i.e. x0.1 at 150/180/210 (lib/utils/scheduler.py; the original steps per iteration, so
#   the first iteration of each decayed epoch still has the old lr).
# - Teacher: the DIST release cifar_ckpts.zip (CRD's vanilla teachers by name and
#   accuracy); the pair base names mdistiller's cifar_teachers (byte identity unverified).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, temperature=4.0, loss_weight=2.0)),
    student_loss_weight=1.0)
