# SP (Tung & Mori, ICCV 2019), resnet56 -> resnet20, CIFAR-100 (methods_feature.md 3.4,
# mdistiller's settings): the last stage output of both, weight 3000, CE 1; lr from the
# pair base. RepDistiller reports 69.67 (spec 5.1).
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
    student_loss_weight=1.0)
