# ReviewKD, WRN-40-2 -> WRN-16-2, CIFAR-100, the official protocol: the code behind the
# number of Chen et al., "Distilling Knowledge via Knowledge Review", CVPR 2021 (arXiv
# 2104.09044), CIFAR-100 table of same-style pairs: 76.12.
# Recipe (dvlab-research/ReviewKD@cede6ea6387ae9b6127de0e561507177bf19c11e):
#   lambda 5: CIFAR-100/script/reviewKD.sh (--kd-loss-weight 5.0); CE weight 1 (train.py
#     l.59);
#   warm-up min(1, e / 20) over 0-based epochs (train.py l.50, l.225):
#     warmup_convention='zero_based';
#   lr 0.1 (train.py l.27), Nesterov, decays after 0-based epochs 150/180/210, batch
#     128, CIFAR-10 normalisation: the schedule and data bases;
#   teacher BatchNorm in train mode (train.py never calls teacher.eval(); its parameters
#     are frozen, util/misc.py l.81-85): teacher_norm_train=True.
# Teacher: the official teachers (script/baseline.sh: batch 128, Nesterov, CIFAR-10
# normalisation) were never released (ReviewKD issue #8); this config keeps the
# RepDistiller/mdistiller teacher of the pair base, as ER-KD's ER-ReviewKD does.
# mdistiller's protocol for this pair: reviewkd_wrn_40_2_wrn_16_2_1xb64_cifar100.py (no
# reported number).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs128_reviewkd.py',
    '../_base_/schedules/cifar100_sgd_240e_reviewkd.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.block1',
        'backbone.block2',
        'backbone.block3',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[32, 64, 128, 128],
            teacher_channels=[32, 64, 128, 128],
            warmup_epochs=20,
            warmup_convention='zero_based',
            loss_weight=5.0)),
    teacher_norm_train=True,
    student_loss_weight=1.0)
