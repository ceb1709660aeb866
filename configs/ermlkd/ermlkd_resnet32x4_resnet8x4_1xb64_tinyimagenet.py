# ER-MLD, ResNet32x4 -> ResNet8x4, Tiny-ImageNet: MLKD with every instance-level KD term,
# on both views and at each temperature (T_0 4, 3, 5, 2, 6), weighted by the teacher's
# entropy at that temperature; MLKD's quirks kept (match_reference=True). Su et al.,
# "Knowledge From the Dark Side: Entropy-Reweighted Knowledge Distillation", arXiv
# 2311.13621 v1; no reported number (the paper's tables were not retrieved). Recipe
# (cpsu00/ER-KD@42aa4f1): mdistiller/script_ER.sh runs tools/train_mld.py --cfg
# configs/tinyimagenet200/mld/res32x4_res8x4.yaml --er 1: LR 0.025, batch 64 images in two
# views, 240 epochs, x0.1 after 150/180/210, weight decay 5e-4, SGD momentum 0.9; KD T 4,
# KD weight 0.9, CE 0.1 on both views (mdistiller/mdistiller/distillers/MLD.py,
# engine/cfg.py); strong view of mdistiller/mdistiller/dataset/tinyimagenet200.py
# (RandAugment(2, 10) + Cutout after the crop and flip: the two-view data base), ImageNet
# mean/std, sorted-wnid labels; the CIFAR models with 200 classes; teacher in eval mode.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_tinyimagenet.py',
    '../_base_/datasets/tinyimagenet_bs64_two_views.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_ermlkd=dict(type='ERMLKDLoss', temperature=4.0, loss_weight=0.9),
        # The original's CE on the strong view (the weak view's is the student head's).
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.1)),
    student_loss_weight=0.1)

optim_wrapper = dict(optimizer=dict(lr=0.025))
