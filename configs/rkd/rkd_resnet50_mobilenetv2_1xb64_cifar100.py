# RKD (Park et al., CVPR 2019), resnet50 -> mobilenetv2, CIFAR-100 (methods_feature.md
# 3.6, mdistiller's settings): the pooled penultimate vectors, distance 25, angle 50,
# weight 1, CE 1; lr from the pair base. RepDistiller reports 64.43 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_rkd=dict(
            type='RKDLoss', distance_weight=25.0, angle_weight=50.0, loss_weight=1.0)),
    student_loss_weight=1.0)
