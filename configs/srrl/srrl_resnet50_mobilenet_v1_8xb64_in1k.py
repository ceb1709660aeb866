# SRRL, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.15, cls_KD's ImageNet
# configs): the student's last map (1024) through a connector to 2048 and the teacher's
# frozen classifier, feature weight 1, softmax-regression weight 1, CE 1.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_srrl=dict(
            type='SRRLLoss',
            student_channels=1024,
            teacher_channels=2048,
            fm_weight=1.0,
            sr_weight=1.0)),
    student_loss_weight=1.0)
