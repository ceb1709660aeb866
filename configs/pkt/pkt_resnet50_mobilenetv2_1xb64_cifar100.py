# PKT (Passalis & Tefas, ECCV 2018), resnet50 -> mobilenetv2, CIFAR-100
# (methods_feature.md 3.5, mdistiller's settings): the pooled penultimate vectors,
# weight 30000, CE 1; lr from the pair base. RepDistiller reports 66.52 (spec 5.2).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_pkt=dict(type='PKTLoss', loss_weight=30000.0)),
    student_loss_weight=1.0)
