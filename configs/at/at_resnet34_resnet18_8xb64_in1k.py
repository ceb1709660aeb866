# AT, ResNet-34 -> ResNet-18, ImageNet-1k (methods_feature.md 3.2, mdistiller's ImageNet
# settings): the four post-ReLU stage outputs of both (feats[1:]), p 2, weight 1000, CE 1;
# MMPretrain's ImageNet recipe of the pair base (8 x 32 images, lr 0.1).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

stages = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4']

model = dict(
    student_taps=dict(feats=stages),
    teacher_taps=dict(feats=stages),
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)
