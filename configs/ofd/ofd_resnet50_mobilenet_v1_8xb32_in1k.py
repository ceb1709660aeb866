# OFD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.9, mdistiller's
# ImageNet settings): three stages, the teacher's layer2-4 pre-ReLU outputs (TapResNet)
# against MobileNetV1's features 2-4 before their ReLU, margins from the teacher's
# last-block bn3, weight 1e-4, CE 1, teacher BN in train mode; batch 128, lr 0.05.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    teacher='{{ fileDirname }}/../_base_/models/imagenet/resnet50_tap.py',
    student_taps=dict(
        preact_feats=['backbone.model.5.4', 'backbone.model.11.4', 'backbone.model.13.4'
                      ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.layer2.3.relu_out:input', 'backbone.layer3.5.relu_out:input',
            'backbone.layer4.2.relu_out:input'
        ],
        preact_bn=[
            'backbone.layer2.3.bn3:module', 'backbone.layer3.5.bn3:module',
            'backbone.layer4.2.bn3:module'
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[256, 512, 1024],
            teacher_channels=[512, 1024, 2048],
            loss_weight=1e-4)),
    student_loss_weight=1.0)

train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.05))
auto_scale_lr = dict(base_batch_size=128)
