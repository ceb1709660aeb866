# NKD (Yang et al., "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
# Approach with Normalized Loss and Customized Soft Labels", ICCV 2023, arXiv 2303.13005),
# ResNet-50 -> MobileNetV1, ImageNet-1k. Reported 72.58 top-1:
# yzd-v/cls_KD@1e5d48f36957ee460d39d7ebc592c6cc7f8f3d66:nkd.md (table "NKD"), produced by
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res50_distill_mv1_img.py (branch master), whose settings
# this config repeats:
# - NKDLoss temp 1, gamma 1.5, added to the student CE at weight 1 (`nkd = True`);
# - teacher: MMClassification's ResNet-50 (`teacher_pretrained`; the pair base);
# - student: cls_KD's MobileNetV1 initialisation, Kaiming convs, BN 1, classifier
#   Normal(0, 0.01) (mmcls/models/backbones/mobilenet_v1.py; the pair base);
# - the teacher's BatchNorm in train mode: the distiller sets eval() only when it is
#   built and the runner's train() undoes it every epoch
#   (mmcls/distillation/distillers/classification_distiller.py); the teacher forward
#   stays under no_grad;
# - gradients clipped at norm 5 (`optimizer_config = dict(grad_clip=dict(max_norm=5.0))`);
# - MMClassification's ImageNet recipe of configs/mobilenet_v1/mobilenet_v1.py (8 GPUs x
#   32 images, SGD lr 0.1, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1 at
#   30/60/90), which MMPretrain's bases below are. Keep 32 images per GPU: the teacher's
#   BatchNorm normalises with each GPU's batch.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k_mmcls.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5, loss_weight=1.0)),
    student_loss_weight=1.0)

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))
