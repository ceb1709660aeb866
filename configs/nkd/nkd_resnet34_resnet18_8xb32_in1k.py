# NKD (Yang et al., "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
# Approach with Normalized Loss and Customized Soft Labels", ICCV 2023, arXiv 2303.13005),
# ResNet-34 -> ResNet-18, ImageNet-1k. Reported 71.96 top-1:
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:nkd.md (table "NKD"), produced by
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res34_distill_res18_img.py (branch master), whose settings
# this config repeats:
# - NKDLoss temp 1, gamma 1.5, added to the student CE at weight 1 (`nkd = True`);
# - teacher: MMClassification's ResNet-34 (`teacher_pretrained`; the pair base);
# - the teacher's BatchNorm in train mode: the distiller sets eval() only when it is
#   built and the runner's train() undoes it every epoch
#   (mmcls/distillation/distillers/classification_distiller.py); the teacher forward
#   stays under no_grad;
# - MMClassification's ImageNet recipe of configs/resnet/resnet18_b32x8_imagenet.py
#   (8 GPUs x 32 images, SGD lr 0.1, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1
#   at 30/60/90), which MMPretrain's bases below are. Keep 32 images per GPU: the
#   teacher's BatchNorm normalises with each GPU's batch.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k_mmcls.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5, loss_weight=1.0)),
    student_loss_weight=1.0)
