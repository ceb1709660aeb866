# ER-MLD, ResNet50 -> MobileNetV2, CIFAR-100: MLKD with every instance-level KD term, on
# both views and at each temperature (T_0 4, 3, 5, 2, 6), weighted by the teacher's
# entropy at that temperature; MLKD's quirks kept (match_reference=True). Su et al.,
# "Knowledge From the Dark Side: Entropy-Reweighted Knowledge Distillation", arXiv
# 2311.13621 v1; no reported number.
# Recipe (cpsu00/ER-KD@42aa4f1): mdistiller/configs/cifar100/mld/res50_mv2.yaml (lr
# 0.01, 300 epochs, x0.1 after 150/180/210, batch 64 images in two views;
# mdistiller/script_ER.sh runs its ResNet32x4 -> ResNet8x4 twin with tools/train_mld.py
# --er 1), KD T 4, KD weight 0.9, CE 0.1 on both views
# (mdistiller/mdistiller/distillers/MLD.py, engine/cfg.py); strong view:
# mdistiller/mdistiller/dataset/cifar100.py RandAugment(2, 10) + Cutout (the two-view
# data base); the rest as ER-KD's trainer: SGD momentum 0.9, weight decay 5e-4, teacher
# in eval mode, mdistiller's teacher.
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
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
