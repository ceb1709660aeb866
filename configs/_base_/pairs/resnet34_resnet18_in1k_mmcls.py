# Distillation pair on ImageNet-1k as cls_KD and MGD run it: teacher ResNet-34 with
# MMClassification's ImageNet weights (73.62 top-1; not torchvision's) -> student
# ResNet-18. yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# configs/distillers/imagenet/res34_distill_res18_img.py (`teacher_pretrained`), the same
# file in yzd-v/MGD@2c9da0b28625eb948db57afc02c824452c3910fe:
# cls/configs/distillers/mgd/. The checkpoint is MMPretrain's own format (`backbone.*`,
# `head.*`) and downloads once into the torch hub cache when training starts. Those
# originals run this teacher's BatchNorm in train mode: method configs add
# `teacher_norm_train=True` (a pair base holds only the models).
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/imagenet/resnet34.py',
    teacher_ckpt='https://download.openmmlab.com/mmclassification/v0/resnet/'
    'resnet34_8xb32_in1k_20210831-f257d4e6.pth',
    student='{{ fileDirname }}/../models/imagenet/resnet18.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 224, 224),
)
