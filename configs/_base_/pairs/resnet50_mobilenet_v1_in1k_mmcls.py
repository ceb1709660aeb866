# Distillation pair on ImageNet-1k as cls_KD and MGD run it: teacher ResNet-50 with
# MMClassification's ImageNet weights (76.55 top-1; not torchvision's) -> student
# MobileNetV1 with MMClassification's initialisation (Kaiming convs, BN 1, classifier
# Normal(0, 0.01); models/imagenet/mobilenet_v1_mmcls_init.py).
# yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res50_distill_mv1_img.py (`teacher_pretrained`), the same
# file in yzd-v/MGD@2c9da0b28625eb948db57afc02c824452c3910fe:
# cls/configs/distillers/mgd/. The checkpoint is MMPretrain's own format (`backbone.*`,
# `head.*`) and downloads once into the torch hub cache when training starts. Those
# originals run this teacher's BatchNorm in train mode: method configs add
# `teacher_norm_train=True` (a pair base holds only the models).
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/imagenet/resnet50.py',
    teacher_ckpt='https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
    student='{{ fileDirname }}/../models/imagenet/mobilenet_v1_mmcls_init.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 224, 224),
)
