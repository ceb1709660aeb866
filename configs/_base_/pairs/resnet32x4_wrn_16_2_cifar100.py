# Distillation pair on CIFAR-100: teacher resnet32x4 -> student wrn_16_2.
# Method configs list it in `_base_` with their data, schedule and runtime
# bases and add `distill_losses`.
#
# Teacher checkpoint convention: mdistiller's `cifar_teachers.tar` release holds
# cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth; convert it once, from the repository
# root, to the path `teacher_ckpt` names (relative to the working directory):
#   python tools/model_converters/mdistiller_to_mmpretrain.py \
#       cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth \
#       checkpoints/cifar_teachers/resnet32x4_vanilla.pth --arch resnet32x4
#
# Only the models: teacher and student are model config files (swap one with e.g.
# model = dict(student='{{ fileDirname }}/../_base_/models/cifar/wrn_16_2.py') in a
# method config; docs/getting_started.md).
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/cifar/resnet32x4.py',
    teacher_ckpt='checkpoints/cifar_teachers/resnet32x4_vanilla.pth',
    student='{{ fileDirname }}/../models/cifar/wrn_16_2.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 32, 32),
)
