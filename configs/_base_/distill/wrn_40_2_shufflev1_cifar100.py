# Distillation pair on CIFAR-100: teacher wrn_40_2 -> student ShuffleV1.
# Method configs inherit it and add `distill_losses` and `student_loss_weight`.
#
# Teacher checkpoint convention: mdistiller's `cifar_teachers.tar` release holds
# cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth; convert it once, from the repository
# root, to the path `teacher_ckpt` names (relative to the working directory):
#   python tools/model_converters/mdistiller_to_mmpretrain.py \
#       cifar_teachers/wrn_40_2_vanilla/ckpt_epoch_240.pth \
#       checkpoints/cifar_teachers/wrn_40_2_vanilla.pth --arch wrn_40_2
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
    teacher=Config.fromfile('{{ fileDirname }}/../models/cifar/wrn_40_2.py').model,
    teacher_ckpt='checkpoints/cifar_teachers/wrn_40_2_vanilla.pth',
    student=Config.fromfile('{{ fileDirname }}/../models/cifar/ShuffleV1.py').model,
)
del Config

# lr 0.01 for MobileNetV2 / ShuffleNet students, the schedule's 0.05 for the others
# (methods_logit.md section 1).
optim_wrapper = dict(optimizer=dict(lr=0.01))
