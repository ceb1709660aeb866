# ReviewKD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_feature.md 3.10, the official
# ImageNet code): the four stages' pre-ReLU outputs of both models (the student is
# pre-ReLU on ImageNet; TapResNet exposes them, same weights) plus the pooled vectors,
# ABF mid channels 512, HCL weight 1.0, no warm-up, CE 1; 8 x 32 images, lr 0.1.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_tap.py',
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
