# MGD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_feature.md 3.14, cls_KD's ImageNet
# config): the last stage maps (512 -> 512), mask ratio 0.15, alpha 7e-5, CE 1;
# MMPretrain's ImageNet recipe of the pair base.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=['backbone.layer4']),
    teacher_taps=dict(feats=['backbone.layer4']),
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=512,
            teacher_channels=512,
            mask_ratio=0.15,
            loss_weight=7e-5)),
    student_loss_weight=1.0)
