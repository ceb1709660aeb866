# SRRL, ResNet-34 -> ResNet-18, ImageNet-1k (methods_feature.md 3.15, cls_KD's ImageNet
# configs): the student's last map through a connector and the teacher's frozen
# classifier, feature weight 1, softmax-regression weight 1, CE 1.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=['backbone.layer4']),
    distill_losses=dict(
        loss_srrl=dict(
            type='SRRLLoss',
            student_channels=512,
            teacher_channels=512,
            fm_weight=1.0,
            sr_weight=1.0)),
    student_loss_weight=1.0)
