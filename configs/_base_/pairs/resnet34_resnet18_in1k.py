# Distillation pair on ImageNet-1k: teacher resnet34 -> student resnet18. Method configs
# list it in `_base_` with their data, schedule and runtime bases (e.g. MMPretrain's
# imagenet_bs32 / imagenet_bs256, or ../datasets/imagenet_bs32_pil.py for the originals
# that decode with PIL) and add `distill_losses` and their recipe.
#
# Teacher checkpoint convention: torchvision's ImageNet weights of resnet34 (the teachers
# of mdistiller, DIST and CRD: torchvision's resnet34-333f7ec4.pth,
# megvii-research/mdistiller@a08d46f: mdistiller/models/imagenet/resnet.py model_urls),
# converted once, from the repository root, to the path `teacher_ckpt` names (relative to
# the working directory):
#   python tools/model_converters/torchvision_to_mmpretrain.py \
#       resnet34-333f7ec4.pth checkpoints/imagenet_teachers/resnet34_in1k.pth \
#       --arch resnet34
# cls_KD's configs use MMPretrain's own resnet34 checkpoints instead: their pair bases
# name those.
#
# Only the models: teacher and student are model config files (swap one with e.g. model =
# dict(student='{{ fileDirname }}/../_base_/models/cifar/wrn_16_2.py') in a method config;
# docs/getting_started.md).
model = dict(
    type='ClassificationDistiller',
    teacher='{{ fileDirname }}/../models/imagenet/resnet34.py',
    teacher_ckpt='checkpoints/imagenet_teachers/resnet34_in1k.pth',
    student='{{ fileDirname }}/../models/imagenet/resnet18.py',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 224, 224),
)
