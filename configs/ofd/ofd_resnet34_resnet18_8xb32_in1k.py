# OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature
# Distillation", ICCV 2019, arXiv 1904.01866), ResNet-34 -> ResNet-18, ImageNet-1k: the
# four stages' pre-ReLU outputs of both (TapResNet exposes them; same weights as
# MMPretrain's ResNet), margins from the teacher's last-block bn2 of each stage, stage
# weights 1/8, 1/4, 1/2, 1, weight 1e-4, CE weight 1, teacher BN in train mode.
# Cited 70.81: the DKD paper's ImageNet table (CVPR 2022, arXiv 2203.08679), taken from
# the ReviewKD paper (CVPR 2021, arXiv 2104.09044); unverified: no published code runs
# this pair (the official and mdistiller's ImageNet ResNets hard-code Bottleneck widths in
# get_channel_num / get_stage_channels). The recipe is the official ImageNet one,
# clovaai/overhaul-distillation@76344a8:ImageNet/train_with_distillation.py with
# clovaai/overhaul-distillation@76344a8:ImageNet/distiller.py: batch 256 (8 x 32 here;
# the official GPU count is not stated), lr 0.1, SGD momentum 0.9 with Nesterov, weight
# decay 1e-4 on the student and connectors, 100 epochs, lr 0.1 * 0.1^(epoch // 30) with
# 1-based epochs (0-based milestones 29/59/89), loss sum / batch / 10000, the whole
# teacher in train mode (teacher_norm_train: the same, a ResNet has no dropout). Data:
# torchvision's ImageFolder with PIL decoding and resizing (imagenet_bs32_pil.py).
# Student initialised as clovaai/overhaul-distillation@76344a8:ImageNet/models/ResNet.py
# (resnet18_tap_torchvision_init.py: no zero-initialised last BN per block, PyTorch's
# default Linear initialisation). Teacher: torchvision's legacy resnet34-333f7ec4.pth
# (the file ImageNet/models/ResNet.py names; convert it as the pair base says).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student=('{{ fileDirname }}/../_base_/models/imagenet/'
             'resnet18_tap_torchvision_init.py'),
    teacher='{{ fileDirname }}/../_base_/models/imagenet/resnet34_tap.py',
    student_taps=dict(preact_feats=[
        'backbone.layer1.1.relu_out:input', 'backbone.layer2.1.relu_out:input',
        'backbone.layer3.1.relu_out:input', 'backbone.layer4.1.relu_out:input'
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.layer1.2.relu_out:input', 'backbone.layer2.3.relu_out:input',
            'backbone.layer3.5.relu_out:input', 'backbone.layer4.2.relu_out:input'
        ],
        preact_bn=[
            'backbone.layer1.2.bn2:module', 'backbone.layer2.3.bn2:module',
            'backbone.layer3.5.bn2:module', 'backbone.layer4.2.bn2:module'
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[64, 128, 256, 512],
            teacher_channels=[64, 128, 256, 512],
            loss_weight=1e-4)),
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[29, 59, 89], gamma=0.1)
