# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022, arXiv 2205.01529),
# ResNet-50 -> MobileNetV1, ImageNet-1k. Reported 72.49 top-1:
# yzd-v/MGD@2c9da0b28625eb948db57afc02c824452c3910fe:cls/README.md, produced by
# cls/configs/distillers/mgd/res50_distill_mv1_img.py of that commit (the same recipe
# as yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res50_distill_mv1_img.py with `mgd = True`), whose
# settings this config repeats:
# - MGDLoss on the last stage maps (student 1024 aligned to the teacher's 2048 by the
#   generator's 1x1 conv), alpha_mgd 7e-5, lambda_mgd 0.15 (mask ratio), no logit KD,
#   student CE at weight 1;
# - teacher: MMClassification's ResNet-50 (`teacher_pretrained`; the pair base);
# - student: MGD's MobileNetV1 with MMClassification's initialisation, Kaiming convs,
#   BN 1, classifier Normal(0, 0.01) (cls/mmcls/models/backbones/mobilenet_v1.py; the
#   pair base);
# - the teacher's BatchNorm in train mode: the distiller sets eval() only when it is
#   built and mmcv's runner calls train() every epoch
#   (cls/mmcls/distillation/distillers/classification_distiller.py); the teacher forward
#   stays under no_grad;
# - gradients clipped at norm 5 (`optimizer_config = dict(grad_clip=dict(max_norm=5.0))`);
# - MMClassification's ImageNet recipe of cls/configs/mobilenet_v1/mobilenet_v1.py (8
#   GPUs x 32 images, SGD lr 0.1, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1 at
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
    teacher_taps=dict(feats=['backbone.layer4']),
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=1024,
            teacher_channels=2048,
            mask_ratio=0.15,
            loss_weight=7e-5)),
    student_loss_weight=1.0)

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))
