# MLKD + logit standardisation, ResNet56 -> ResNet20, CIFAR-100 (methods_logit.md sections
# 13 and 4): LS on the instance-level KD terms of both views (CC / BC and the masks on the
# raw logits, as the LS repository's MLKD.py), base temperature 2 = T_0, kd weight 9 (the
# README's log-file names), CE 0.1 on both views; lr 0.025, 240 epochs with the standard
# decays at 150/180/210 (as configs/mlkd).
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64_two_views.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_lsmlkd=dict(
            type='MLKDLoss', temperature=2.0, loss_weight=9.0,
            logit_standardization=True),
        # The original's CE on the strong view (the weak view's is the student head's).
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.025))
