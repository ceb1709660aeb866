# OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature
# Distillation", ICCV 2019, arXiv 1904.01866), ResNet-50 -> MobileNetV1, ImageNet-1k, the
# official code's recipe: four stages, the teacher's layer1-4 pre-ReLU outputs (TapResNet)
# against MobileNetV1's features 1-4 (model.3/5/11/13) before their ReLU, margins from
# the teacher's last-block bn3 of each stage, stage weights 1/8, 1/4, 1/2, 1, weight 1e-4
# (the original's sum / batch / 10000), CE weight 1, teacher BN in train mode.
# Cited 71.25: clovaai/overhaul-distillation@76344a8:README.md (MobileNet top-1 error
# 28.75, best epoch per the authors in clovaai/overhaul-distillation#9; the OFD paper's
# ImageNet table), run with
# clovaai/overhaul-distillation@76344a8:ImageNet/train_with_distillation.py --net_type
# mobilenet --epochs 100 --lr 0.1 --batch_size 256 (its README): SGD momentum 0.9 with
# Nesterov, weight decay 1e-4 on the student and connectors, lr x0.1 every 30 epochs
# (adjust_learning_rate, lr 0.1 * 0.1^(epoch // 30) with 1-based epochs: the 30th, 60th
# and 90th epochs already decayed, 0-based milestones 29/59/89), the whole teacher in
# train mode (teacher_norm_train: the same, a ResNet has no dropout),
# clovaai/overhaul-distillation@76344a8:ImageNet/distiller.py (stages, margins, weights).
# The GPU count of the official run is not stated (nn.DataParallel over all visible
# GPUs; the per-GPU batch sets the BN statistics): 8 x 32 here. Data: torchvision's
# ImageFolder with PIL decoding and resizing (imagenet_bs32_pil.py). The student keeps
# PyTorch's default initialisation (ImageNet/models/MobileNet.py). Teacher: torchvision's
# legacy resnet50-19c8e357.pth (ImageNet/models/ResNet.py downloads it; convert it as the
# pair base says). mdistiller's configs/imagenet/r50_mv1/ofd.yaml (batch 128, lr 0.05,
# three stages, no Nesterov, milestones 30/60/90) publishes no number.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    teacher='{{ fileDirname }}/../_base_/models/imagenet/resnet50_tap.py',
    student_taps=dict(preact_feats=[
        'backbone.model.3.4', 'backbone.model.5.4', 'backbone.model.11.4',
        'backbone.model.13.4'
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.layer1.2.relu_out:input', 'backbone.layer2.3.relu_out:input',
            'backbone.layer3.5.relu_out:input', 'backbone.layer4.2.relu_out:input'
        ],
        preact_bn=[
            'backbone.layer1.2.bn3:module', 'backbone.layer2.3.bn3:module',
            'backbone.layer3.5.bn3:module', 'backbone.layer4.2.bn3:module'
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[128, 256, 512, 1024],
            teacher_channels=[256, 512, 1024, 2048],
            loss_weight=1e-4)),
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[29, 59, 89], gamma=0.1)
