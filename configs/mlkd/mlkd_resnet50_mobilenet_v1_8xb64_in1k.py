# MLKD, ResNet-50 -> MobileNetV1, ImageNet-1k: the recipe of
# Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:configs/imagenet/r50_mv2/kd_ours.yaml
# (tools/train_ours.py, SOLVER.TRAINER "ours"). Paper: Jin, Wang, Lin, "Multi-Level Logit
# Distillation", CVPR 2023. The cited 73.01 (the paper's ImageNet table) could not be
# checked: unverified; the repository publishes no number.
# - Loss: mdistiller/distillers/KD_ours.py with the yaml's KD.TEMPERATURE 1 (temperatures
#   1, 3, 5, 2, 6), KD weight 0.5, CE 0.5 on each view.
# - Data: a weak and a strong view (../_base_/datasets/imagenet_bs64_two_views.py: the
#   original's RandAugment(2, 10) + Cutout, mdistiller/dataset/imagenet.py), decoded and
#   resized with PIL as its torchvision ImageFolder.
# - Schedule: SGD lr 0.2, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1 at 30/60/90;
#   batch 512 (SOLVER.BATCH_SIZE, one DataParallel process) = 8 GPUs x 64 here. MLKD's
#   batch statistics are per GPU: per 64 images, as a DataParallel chunk on 8 GPUs (the
#   original's GPU count is not published). The yaml folder says mv2, its student is a
#   MobileNetV1.
# - Teacher: torchvision's V1 weights (the pair base).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs64_two_views.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_mlkd=dict(type='MLKDLoss', temperature=1.0, loss_weight=0.5),
        loss_cls_strong=dict(type='StrongViewCELoss', loss_weight=0.5)),
    student_loss_weight=0.5)

optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
