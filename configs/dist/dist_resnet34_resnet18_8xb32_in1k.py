# DIST, ResNet-34 -> ResNet-18, ImageNet-1k: the recipe of
# hunto/image_classification_sota@d9662f7 (the classification submodule of
# hunto/DIST_KD@2418f18): sh tools/dist_train.sh 8
# configs/strategies/distill/resnet_dist.yaml ... --teacher-model tv_resnet34. Paper:
# Huang, You, Wang, Qian, Xu, "Knowledge Distillation from A Stronger Teacher", NeurIPS
# 2022, arXiv 2205.10536. The cited 72.07 is the README table of
# hunto/DIST_KD@2418f18:README.md.
# - Loss (lib/models/losses/kd_loss.py, kd: dist): CE 1 + 2 x DIST (tau 1, beta 1, gamma
#   1); no label smoothing (smoothing 0.0).
# - Optimizer (lib/utils/optim.py build_optimizer, resnet_dist.yaml): SGD lr 0.1, momentum
#   0.9, Nesterov (sgd_no_nesterov unset), weight decay 1e-4 on weights only:
#   filter_bias_and_bn leaves every 1-D parameter and every bias undecayed (paramwise_cfg
#   below).
# - Schedule: batch 8 x 32, 100 epochs, x0.1 every 30 epochs, no warm-up;
#   RandomResizedCrop 224 + flip, no other augmentation.
# - Data: JPEGs decoded and resized with PIL as the original's torchvision ImageFolder
#   pipeline, RandomResizedCrop 224 + flip, validation Resize(256) + CenterCrop(224)
#   (../_base_/datasets/imagenet_bs32_pil.py).
# - Teacher: torchvision's V1 resnet34 weights (the pair base).
# - Student: torchvision's resnet18 (hunto/image_classification_sota@d9662f7:
#   lib/models/builder.py, tv_resnet18 in the README), initialised as torchvision does
#   (resnet18_torchvision_init.py: no zero-initialised last BN per block, PyTorch's
#   default Linear initialisation of the classifier).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    distill_losses=dict(
        loss_dist=dict(
            type='DISTLoss', beta=1.0, gamma=1.0, temperature=1.0, loss_weight=2.0)),
    student_loss_weight=1.0)

optim_wrapper = dict(
    optimizer=dict(nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.))
