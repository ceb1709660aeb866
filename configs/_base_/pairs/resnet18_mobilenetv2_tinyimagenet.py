# Distillation pair on Tiny-ImageNet: teacher ResNet18 -> student MobileNetV2
# (mdistiller's KD+DOT runs,
# megvii-research/mdistiller@a08d46f:configs/tiny_imagenet/dot/*.yaml). Method configs
# list it in `_base_` with their data, schedule and runtime bases and add
# `distill_losses`.
#
# Teacher checkpoint convention: mdistiller loads its Tiny-ImageNet teacher from
# download_ckpts/tiny_imagenet_teachers/ResNet18_vanilla/ti_res18
# (megvii-research/mdistiller@a08d46f:mdistiller/models/cifar/__init__.py); its README
# does not say where that file is published (not verified to be part of the `checkpoints`
# release). Convert it once, from the repository root, to the path `teacher_ckpt` names:
#   python tools/model_converters/tinyimagenet_to_mmpretrain.py \
#       tiny_imagenet_teachers/ResNet18_vanilla/ti_res18 \
#       checkpoints/tinyimagenet_teachers/ResNet18_vanilla.pth --arch ResNet18
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/tinyimagenet/ResNet18.py',
    teacher_ckpt='checkpoints/tinyimagenet_teachers/ResNet18_vanilla.pth',
    student='{{ fileDirname }}/../models/tinyimagenet/MobileNetV2.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 64, 64),
)
