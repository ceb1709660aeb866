# ER-KD, ResNet32x4 -> ResNet8x4, Tiny-ImageNet: KD with each sample's term weighted by
# the teacher's entropy at t_H 4. Su et al., "Knowledge From the Dark Side:
# Entropy-Reweighted Knowledge Distillation", arXiv 2311.13621 v1; no reported number (the
# paper's tables were not retrieved). Recipe (cpsu00/ER-KD@42aa4f1):
# mdistiller/script_ER.sh runs mdistiller/configs/tinyimagenet200/kd/res32x4_res8x4.yaml
# with --er 1: batch 64, LR 0.05, 240 epochs, x0.1 when the 1-based epoch exceeds
# 150/180/210, weight decay 5e-4, SGD momentum 0.9 without Nesterov (the CIFAR-100
# schedule base has the same values); KD T 4, KD weight 0.9, CE 0.1
# (mdistiller/mdistiller/engine/cfg.py), t_H 4 (mdistiller/mdistiller/distillers/KD.py
# er_kd_loss); data mdistiller/mdistiller/dataset/tinyimagenet200.py: RandomCrop(64, pad
# 8) + flip, ImageNet mean/std, ImageFolder's sorted-wnid labels (sort_classes=True);
# models mdistiller/mdistiller/models/tinyimagenet200/resnet.py (the CIFAR models, 200
# classes, global pooling); teacher in eval mode under no_grad; best test top-1.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_tinyimagenet.py',
    '../_base_/datasets/tinyimagenet_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_erkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(type='KDLoss', temperature=4.0, loss_weight=0.9),
            entropy_temperature=4.0)),
    student_loss_weight=0.1)

train_dataloader = dict(dataset=dict(sort_classes=True))
val_dataloader = dict(dataset=dict(sort_classes=True))
test_dataloader = dict(dataset=dict(sort_classes=True))
