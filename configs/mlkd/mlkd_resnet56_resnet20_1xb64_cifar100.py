# MLKD, ResNet56 -> ResNet20, CIFAR-100: the recipe of
# Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:configs/cifar100/ours/res56_res20.yaml
# (tools/train_ours.py, SOLVER.TRAINER "ours"). Paper: Jin, Wang, Lin, "Multi-Level Logit
# Distillation", CVPR 2023. The cited 72.19 is the paper's CIFAR-100 value as quoted in
# sunshangquan/logit-standardization-KD@f6e5aa5:README.md (MLKD row).
# - Loss: mdistiller/distillers/KD_ours.py with the defaults of mdistiller/engine/cfg.py:
#   T_0 4, KD weight 0.9, CE 0.1 on each view (the weak view's is the head's loss_cls, the
#   strong view's StrongViewCELoss).
# - Data: a weak and a strong view (../_base_/datasets/cifar100_bs64_two_views.py: the
#   original's RandAugment(2, 10) + Cutout, mdistiller/dataset/cifar100.py).
# - Schedule: SGD lr 0.025, momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at
#   150/180/210.
# - Teacher: mdistiller's cifar_teachers (the pair base names the converted file).
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64_two_views.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_mlkd=dict(type='MLKDLoss', temperature=4.0, loss_weight=0.9),
        # The original's CE on the strong view (the weak view's is the student head's).
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.025))
