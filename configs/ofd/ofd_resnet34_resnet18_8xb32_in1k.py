# OFD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_feature.md 3.9, the official
# ImageNet code): the four stages' pre-ReLU outputs of both (TapResNet exposes them; same
# weights as MMPretrain's ResNet), margins from the teacher's last-block bn2, weight
# 1e-4, CE 1, teacher BN in train mode as the original, SGD with Nesterov.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_tap.py',
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
