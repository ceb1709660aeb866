# MGD, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_feature.md 3.14): last post-ReLU maps,
# the final BN-ReLU output of both (backbone.relu, the map the classifier pools), 128@8:
# no align conv; random channel masks (ratio 0.15), alpha_mgd 1.2e-3 (cls_KD's CIFAR-100
# config, the only CIFAR setting of the authors; 7e-5 on ImageNet), no logit KD, CE
# weight 1, lr 0.05 (pair base).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=['backbone.relu']),
    teacher_taps=dict(feats=['backbone.relu']),
    distill_losses=dict(
        loss_mgd=dict(
            type='MGDLoss',
            student_channels=128,
            teacher_channels=128,
            mask_ratio=0.15,
            loss_weight=1.2e-3)),
    student_loss_weight=1.0)
