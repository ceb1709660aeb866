# MLKD (Multi-Level Logit Distillation), CIFAR-100: methods_logit.md section 4 (the
# original): T_0 4, KD weight 0.9, CE 0.1 on both views, lr 0.025, 240 epochs with the
# standard decays at 150/180/210 (kept for the longer runs, as the original).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
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
