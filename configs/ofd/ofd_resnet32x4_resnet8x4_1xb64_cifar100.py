# OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature
# Distillation", ICCV 2019, arXiv 1904.01866), ResNet32x4 -> ResNet8x4, CIFAR-100:
# pre-ReLU stage maps: the residual sums before each stage's last ReLU, margins from the
# teacher's bn2 of each stage's last block; weight 1e-3 (the originals' sum / batch /
# 1000), CE weight 1, the teacher's BNs in train mode as in both originals
# (teacher_norm_train).
# Cited 74.95: the ReviewKD paper (Chen, Liu, Zhao, Jia, "Distilling Knowledge via
# Knowledge Review", CVPR 2021, arXiv 2104.09044), CIFAR-100 tables, repeated in the DKD
# paper (arXiv 2203.08679); unverified: no published code produced it
# (clovaai/overhaul-distillation@76344a8:CIFAR-100/load_settings.py has WRN and PyramidNet
# pairs only). The recipe is megvii-research/mdistiller@a08d46f:configs/cifar100/ofd.yaml
# with megvii-research/mdistiller@a08d46f:mdistiller/distillers/OFD.py: FEAT_WEIGHT 1e-3,
# batch 64, SGD momentum 0.9, weight decay 5e-4 on the student and connectors, 240 epochs,
# lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.layer1.0.relu_out:input',
        'backbone.layer2.0.relu_out:input',
        'backbone.layer3.0.relu_out:input',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.layer1.4.relu_out:input',
            'backbone.layer2.4.relu_out:input',
            'backbone.layer3.4.relu_out:input',
        ],
        preact_bn=[
            'backbone.layer1.4.bn2:module',
            'backbone.layer2.4.bn2:module',
            'backbone.layer3.4.bn2:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[64, 128, 256],
            teacher_channels=[64, 128, 256],
            loss_weight=1e-3)),
    student_loss_weight=1.0)
