# Distillation pair on CIFAR-100: teacher resnet56 -> student resnet20.
# Method configs inherit it and add `distill_losses` and `student_loss_weight`.
#
# Teacher checkpoint convention: mdistiller's `cifar_teachers.tar` release holds
# cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth; convert it once, from the repository
# root, to the path `teacher_ckpt` names (relative to the working directory):
#   python tools/model_converters/mdistiller_to_mmpretrain.py \
#       cifar_teachers/resnet56_vanilla/ckpt_epoch_240.pth \
#       checkpoints/cifar_teachers/resnet56_vanilla.pth --arch resnet56
#
# Both models are the CIFAR zoo configs of ../models/cifar/. MMEngine refuses two bases
# that both define `model`, so they are read with Config.fromfile (MMEngine's predefined
# variable `fileDirname` is this file's folder); `Config` is then deleted so that it
# does not end up in the config.
_base_ = [
    '../datasets/cifar100_bs64.py',
    '../schedules/cifar100_sgd_240e.py',
    '../default_runtime.py',
]
from mmengine import Config  # noqa: E402

model = dict(
    type='ClassificationDistiller',
    # Losses with connectors check the tapped shapes when the model is built.
    shape_probe=(3, 32, 32),
    teacher=Config.fromfile('{{ fileDirname }}/../models/cifar/resnet56.py').model,
    teacher_ckpt='checkpoints/cifar_teachers/resnet56_vanilla.pth',
    student=Config.fromfile('{{ fileDirname }}/../models/cifar/resnet20.py').model,
)
del Config

# lr: the schedule's 0.05, standard for ResNet / WRN / VGG students (methods_logit.md
# section 1; MobileNetV2 / ShuffleNet students use 0.01).
