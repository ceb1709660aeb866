# Self-teacher pair on CIFAR-100 for Tf-KD: teacher MobileNetV2 -> student MobileNetV2,
# the teacher a copy of the student's architecture trained alone (Tf-KD's models,
# configs/_base_/models/tfkd/). Method configs list it in `_base_` with their data,
# schedule and runtime bases and add `distill_losses`.
#
# Teacher checkpoint convention: Tf-KD's self-teacher runs load
# experiments/pretrained_teacher_models/base_mobilenet_v2/best.pth.tar
# (yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:main.py), released in its
# `checkpoint` release as pretrained_teacher_models.zip (README.md, section 2). Convert it
# once, from the repository root, to the path `teacher_ckpt` names:
#   python tools/model_converters/tfkd_to_mmpretrain.py \
#       pretrained_teacher_models/base_mobilenet_v2/best.pth.tar \
#       checkpoints/tfkd_teachers/MobileNetV2_cifar100.pth --arch MobileNetV2
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/tfkd/MobileNetV2.py',
    teacher_ckpt='checkpoints/tfkd_teachers/MobileNetV2_cifar100.pth',
    student='{{ fileDirname }}/../models/tfkd/MobileNetV2.py',
    shape_probe=(3, 32, 32),
)
