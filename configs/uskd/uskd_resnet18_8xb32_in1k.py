# USKD (teacher-free self-distillation), ResNet-18 student, ImageNet-1k
# (methods_logit.md section 8, cls_KD): alpha 1, beta 0.1, mu 0.005, the weak head on
# the GAP of ResNet stage 3 of 4 (256 channels, cls_KD's fea_s[-2] with out_indices=(2,
# 3)), added to the student CE at weight 1; cls_KD's ImageNet schedule (8 x 32 images,
# SGD 0.1, weight decay 1e-4, 100 epochs, x0.1 at 30/60/90), which is MMPretrain's
# standard one.
_base_ = [
    '../_base_/models/imagenet/resnet18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='ClassificationDistiller',
    student={{_base_.model}},
    teacher=None,
    # MMPretrain's ResNet declares no default taps: name stages 3 and 4.
    student_taps=dict(feats=['backbone.layer3', 'backbone.layer4']),
    distill_losses=dict(
        loss_uskd=dict(
            type='USKDLoss',
            in_channels=256,
            num_classes=1000,
            alpha=1.0,
            beta=0.1,
            mu=0.005,
            stage_index=-2,
            match_reference=True)),
    student_loss_weight=1.0)
