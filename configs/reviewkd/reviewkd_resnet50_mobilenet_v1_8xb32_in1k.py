# ReviewKD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.10, the official
# ImageNet code): MobileNetV1's four features before their ReLU and the teacher's four
# stages' pre-ReLU outputs (TapResNet) plus the pooled vectors, ABF mid channels 256
# (official; mdistiller 512), HCL weight 8.0, no warm-up, CE 1; 8 x 32 images, lr 0.1.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
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
            mid_channels=256,
            warmup_epochs=0,
            loss_weight=8.0)),
    student_loss_weight=1.0)
