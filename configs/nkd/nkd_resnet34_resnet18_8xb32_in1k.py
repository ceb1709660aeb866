# NKD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md section 8, cls_KD): T 1,
# gamma 1.5, added to the student CE at weight 1; cls_KD's ImageNet schedule (8 x 32
# images, lr 0.1, 100 epochs, x0.1 at 30/60/90) is the pair base's.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_nkd=dict(type='NKDLoss', temperature=1.0, gamma=1.5, loss_weight=1.0)),
    student_loss_weight=1.0)
