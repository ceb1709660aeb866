# MGD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.14, cls_KD's ImageNet
# config): the last stage maps (1024 -> 2048, aligned by the generator), mask ratio 0.15,
# alpha 7e-5, CE 1; the pair base's ImageNet recipe.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_taps=dict(feats=['backbone.layer4']),
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=1024,
            teacher_channels=2048,
            mask_ratio=0.15,
            loss_weight=7e-5)),
    student_loss_weight=1.0)
