# SP (Tung & Mori, ICCV 2019), wrn_40_2 -> wrn_40_1, CIFAR-100 (methods_feature.md 3.4,
# mdistiller's settings): the last stage output of both, weight 3000, CE 1; lr from the
# pair base. RepDistiller reports 72.43 (spec 5.1).
_base_ = ['../_base_/distill/wrn_40_2_wrn_40_1_cifar100.py']

model = dict(
    distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
    student_loss_weight=1.0)
