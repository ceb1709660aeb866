# USKD (teacher-free self-distillation), MobileNetV1 student, ImageNet-1k
# (methods_logit.md section 8, cls_KD): alpha 1, beta 0.1, mu 0.005, the weak head on
# the GAP of the 512-channel feature (cls_KD's MobileNetV1 channel; here feats[-2] of
# the backbone's default taps, block 11, 512@14), added to the student CE at weight 1;
# cls_KD's ImageNet schedule (8 x 32 images, SGD 0.1, weight decay 1e-4, 100 epochs,
# x0.1 at 30/60/90), which is MMPretrain's standard one.
_base_ = [
    '../_base_/models/imagenet/mobilenet_v1.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='ClassificationDistiller',
    student={{_base_.model}},
    teacher=None,
    distill_losses=dict(
        loss_uskd=dict(
            type='USKDLoss',
            in_channels=512,
            num_classes=1000,
            alpha=1.0,
            beta=0.1,
            mu=0.005,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
