# Distillation pair on Tiny-ImageNet: teacher resnet32x4 -> student resnet8x4, the CRD
# zoo's CIFAR models with 200 classes, as ER-KD runs them
# (cpsu00/ER-KD@42aa4f1:mdistiller/configs/tinyimagenet200/*/res32x4_res8x4.yaml,
# ER-FCFD/classification/experiments/tin/). Method configs list it in `_base_` with their
# data, schedule and runtime bases and add `distill_losses`.
#
# Teacher checkpoint convention: ER-KD loads its Tiny-ImageNet teacher from
# download_ckpts/tinyimagenet_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth
# (cpsu00/ER-KD@42aa4f1:mdistiller/mdistiller/models/tinyimagenet200/__init__.py); its
# README's link to these teachers is empty, so the file is not public. Convert a
# checkpoint of that layout once, from the repository root:
#   python tools/model_converters/tinyimagenet_to_mmpretrain.py \
#       tinyimagenet_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth \
#       checkpoints/tinyimagenet_teachers/resnet32x4_vanilla.pth --arch resnet32x4
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/tinyimagenet/resnet32x4.py',
    teacher_ckpt='checkpoints/tinyimagenet_teachers/resnet32x4_vanilla.pth',
    student='{{ fileDirname }}/../models/tinyimagenet/resnet8x4.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 64, 64),
)
