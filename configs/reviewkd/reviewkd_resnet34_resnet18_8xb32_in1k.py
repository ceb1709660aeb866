# ReviewKD (Chen, Liu, Zhao, Jia, "Distilling Knowledge via Knowledge Review", CVPR 2021,
# arXiv 2104.09044), ResNet-34 -> ResNet-18, ImageNet-1k, mdistiller's protocol: the four
# stages' pre-ReLU outputs of both models (STU_PREACT True; TapResNet exposes them, same
# weights as MMPretrain's ResNet) plus the pooled vectors, ABF mid channels 512, HCL
# weight 1.0, no loss warm-up (WARMUP_EPOCHS 1 gives the factor 1 from the first epoch),
# CE weight 1, teacher in eval mode under no_grad.
# Recipe: megvii-research/mdistiller@a08d46f:configs/imagenet/r34_r18/reviewkd.yaml with
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/ReviewKD.py: REVIEWKD_WEIGHT 1,
# IN_CHANNELS = OUT_CHANNELS [64, 128, 256, 512, 512] (mid min(512, 512)),
# SOLVER.BATCH_SIZE 256 (8 x 32, as mdistiller's other ImageNet runs on 8 GPUs,
# megvii-research/mdistiller#62), LR 0.1, SGD momentum 0.9 without Nesterov, weight decay
# 1e-4, 100 epochs, lr x0.1 after epochs 30/60/90 (the schedule base). Data: PIL decoding
# and resizing as megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py
# (imagenet_bs32_pil.py). Student initialised as
# megvii-research/mdistiller@a08d46f:mdistiller/models/imagenet/resnet.py
# (resnet18_tap_torchvision_init.py: no zero-initialised last BN per block, PyTorch's
# default Linear initialisation). Teacher: torchvision's legacy resnet34-333f7ec4.pth (as
# mdistiller; convert it as the pair base says).
# mdistiller publishes no ReviewKD result. The ReviewKD README's 71.61
# (dvlab-research/ReviewKD@cede6ea:ImageNet/README.md) comes from the official ImageNet
# code (ImageNet/imagenet_amp.py), whose recipe differs from this one in the GPU split
# only: 4 GPUs x 64 images (per-GPU BatchNorm batches of 64).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student=('{{ fileDirname }}/../_base_/models/imagenet/'
             'resnet18_tap_torchvision_init.py'),
    teacher='{{ fileDirname }}/../_base_/models/imagenet/resnet34_tap.py',
    student_taps=dict(feats=[
        'backbone.layer1.1.relu_out:input', 'backbone.layer2.1.relu_out:input',
        'backbone.layer3.1.relu_out:input', 'backbone.layer4.1.relu_out:input'
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.layer1.2.relu_out:input', 'backbone.layer2.3.relu_out:input',
        'backbone.layer3.5.relu_out:input', 'backbone.layer4.2.relu_out:input'
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[64, 128, 256, 512, 512],
            teacher_channels=[64, 128, 256, 512, 512],
            mid_channels=512,
            warmup_epochs=0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
