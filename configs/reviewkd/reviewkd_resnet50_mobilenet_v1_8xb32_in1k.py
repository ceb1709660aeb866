# ReviewKD (Chen, Liu, Zhao, Jia, "Distilling Knowledge via Knowledge Review", CVPR 2021,
# arXiv 2104.09044), ResNet-50 -> MobileNetV1, ImageNet-1k, mdistiller's protocol:
# MobileNetV1's four features before their ReLU (STU_PREACT True) and the teacher's four
# stages' pre-ReLU outputs (TapResNet) plus the pooled vectors, ABF mid channels 512, HCL
# weight 8.0, no loss warm-up (WARMUP_EPOCHS 1 gives the factor 1 from the first epoch),
# CE weight 1, teacher in eval mode under no_grad.
# Recipe: megvii-research/mdistiller@a08d46f:configs/imagenet/r50_mv1/reviewkd.yaml with
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/ReviewKD.py: REVIEWKD_WEIGHT 8,
# IN_CHANNELS [128, 256, 512, 1024, 1024], OUT_CHANNELS [256, 512, 1024, 2048, 2048]; the
# yaml's MAX_MID_CHANNEL 256 is read but never used (ReviewKD.__init__ builds every ABF
# with mid min(512, IN_CHANNELS[-1]) = 512), so 512 is what ran; SOLVER.BATCH_SIZE 256
# (8 x 32, as mdistiller's other ImageNet runs on 8 GPUs, megvii-research/mdistiller#62),
# LR 0.1, SGD momentum 0.9 without Nesterov, weight decay 1e-4, 100 epochs, lr x0.1 after
# epochs 30/60/90 (the schedule base). Data: PIL decoding and resizing as
# megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py
# (imagenet_bs32_pil.py). The student keeps PyTorch's default initialisation, as
# megvii-research/mdistiller@a08d46f:mdistiller/models/imagenet/mobilenetv1.py. Teacher:
# torchvision's legacy resnet50-19c8e357.pth (as mdistiller; convert it as the pair base
# says).
# mdistiller publishes no ReviewKD result. The ReviewKD README's 72.56
# (dvlab-research/ReviewKD@cede6ea:ImageNet/README.md) comes from the official ImageNet
# code (ImageNet/imagenet_amp.py, ImageNet/models/reviewkd.py), whose recipe differs from
# this one in the ABF mid channels (256) and the GPU split (4 GPUs x 64 images).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher='{{ fileDirname }}/../_base_/models/imagenet/resnet50_tap.py',
    student_taps=dict(feats=[
        'backbone.model.3.4', 'backbone.model.5.4', 'backbone.model.11.4',
        'backbone.model.13.4'
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.layer1.2.relu_out:input', 'backbone.layer2.3.relu_out:input',
        'backbone.layer3.5.relu_out:input', 'backbone.layer4.2.relu_out:input'
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[128, 256, 512, 1024, 1024],
            teacher_channels=[256, 512, 1024, 2048, 2048],
            mid_channels=512,
            warmup_epochs=0,
            loss_weight=8.0)),
    student_loss_weight=1.0)
