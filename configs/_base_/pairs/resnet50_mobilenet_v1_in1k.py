# Distillation pair on ImageNet-1k: teacher resnet50 -> student mobilenet_v1. Method
# configs list it in `_base_` with their data, schedule and runtime bases and add
# `distill_losses`. Data and schedule are MMPretrain's standard ImageNet ones:
# RandomResizedCrop 224 + flip, val resize 256 + center crop 224, 32 images per GPU; SGD
# lr 0.1 for a total batch of 256, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1 at
# epochs 30/60/90 (the cls_KD and DIST recipes). Method configs override what their
# reference changes (mdistiller: 8 x 64 images, lr 0.2; methods_logit.md section 1).
#
# Teacher checkpoint convention: torchvision's ImageNet weights of resnet50 (the teachers
# of mdistiller, cls_KD and DIST), converted once, from the repository root, to the path
# `teacher_ckpt` names (relative to the working directory):
#   python tools/model_converters/torchvision_to_mmpretrain.py \
#       TORCHVISION_RESNET50.pth checkpoints/imagenet_teachers/resnet50_in1k.pth \
#       --arch resnet50
#
# Only the models: teacher and student are model config files (swap one with e.g. model =
# dict(student='{{ fileDirname }}/../_base_/models/cifar/wrn_16_2.py') in a method config;
# docs/getting_started.md).
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/imagenet/resnet50.py',
    teacher_ckpt='checkpoints/imagenet_teachers/resnet50_in1k.pth',
    student='{{ fileDirname }}/../models/imagenet/mobilenet_v1.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 224, 224),
)
