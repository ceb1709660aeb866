# ER-MLD, VGG13 -> MobileNetV2, CIFAR-100 (methods_logit.md sections 5 and 4): MLKD with
# every instance-level KD term entropy-reweighted at its own temperature (T_0 4, 3, 5, 2,
# 6), MLKD's quirks kept (match_reference=True), KD weight 0.9, CE 0.1 on both views;
# ER-KD's copy of the MLD configs: lr 0.01, 300 epochs, decays at 150/180/210.
_base_ = [
    '../_base_/pairs/vgg13_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64_two_views.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_ermlkd=dict(type='ERMLKDLoss', temperature=4.0, loss_weight=0.9),
        # The original's CE on the strong view (the weak view's is the student head's).
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_epochs=300)
