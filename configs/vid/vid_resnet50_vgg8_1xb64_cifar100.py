# VID, ResNet50 -> VGG8, CIFAR-100 (methods_feature.md 3.7): feats[1:] of both (teacher
# layer1-4 (32/16/8/4 px), student relu1-4 (16/8/4/4 px); the larger map of a pair is
# average-pooled to the smaller), a 1x1-conv regressor and a trainable variance per
# teacher channel (initial 5), weight 1, CE weight 1, lr 0.05 (pair base). RepDistiller
# reports 70.30 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.relu1',
        'backbone.relu2',
        'backbone.relu3',
        'backbone.relu4',
    ]),
    teacher_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
        'backbone.layer4',
    ]),
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[128, 256, 512, 512],
            teacher_channels=[256, 512, 1024, 2048],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
