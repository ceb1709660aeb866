# CTKD, ResNet-34 -> ResNet-18, ImageNet-1k. Li et al., "Curriculum Temperature for
# Knowledge Distillation", AAAI 2023 (arXiv 2211.16231); reported 71.32 (KD + CTKD) in
# zhengli97/CTKD@7d5252241259ae70d38a832371fed9697d15fc14:README.md (ImageNet table).
# Recipe (that commit): scripts/run_imagenet_distill.sh `--batch_size 256` over 8
# processes (train_student.py divides it per GPU), `--learning_rate 0.1
# --lr_decay_epochs 30,60,90 --weight_decay 1e-4 --epochs 120`, `-r 1 -a 1 -b 0` (CE 1,
# KD 1), `--t_start 1 --t_end 20`, lambda cosine 0 -> -1 over `--decay_loops 5` epochs
# (the script breaks at line 24, a backslash followed by a space; these are the values
# it was written with); momentum 0.9 (train_student.py); torchvision ImageFolder data
# (PIL): RandomResizedCrop + flip, Resize 256 + CenterCrop 224 (dataset/imagenet.py; the
# imagenet_bs32_pil.py base); the ResNet-18 student initialised as torchvision's
# (models/resnetv2.py, a torchvision copy without zero-initialised residual BNs:
# resnet18_torchvision_init.py).
# Teacher: CTKD's own ResNet-34 (73.96 top-1 in the README table), not torchvision's
# (73.31) of the pair base. Get resnet34.pth of CTKD's release (tag `pretrained-models`,
# https://github.com/zhengli97/CTKD/releases/tag/pretrained-models, or the README's Baidu
# link; the script reads it as ./save/models/ResNet34/resnet34.pth). It is a raw state
# dict of models/resnetv2.py, torchvision's layout (train_student.py load_teacher:
# model.load_state_dict(torch.load(path))), so from the repository root:
#   python tools/model_converters/torchvision_to_mmpretrain.py \
#       resnet34.pth checkpoints/imagenet_teachers/resnet34_ctkd_in1k.pth --arch resnet34
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    teacher_ckpt='checkpoints/imagenet_teachers/resnet34_ctkd_in1k.pth',
    distill_losses=dict(
        loss_ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=5,
            loss_weight=1.0)),
    student_loss_weight=1.0)

# CTKD trains 120 epochs on ImageNet (the decays stay at 30/60/90).
train_cfg = dict(max_epochs=120)
