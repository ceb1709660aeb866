# AT, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.2): as mdistiller, the
# student's three deeper features (28, 14, 7 px) are paired from the front with the
# teacher's layer1-3 (56, 28, 14 px; the larger map is pooled to the smaller) and the
# teacher's layer4 is unused - the original's zip quirk, which produced its numbers.
# p 2, weight 1000, CE 1; the pair base's ImageNet recipe.
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(
        feats=['backbone.model.5.5', 'backbone.model.11.5', 'backbone.model.13.5']),
    teacher_taps=dict(feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3']),
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)
