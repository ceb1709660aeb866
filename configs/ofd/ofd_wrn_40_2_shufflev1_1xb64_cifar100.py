# OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature
# Distillation", ICCV 2019, arXiv 1904.01866), WRN-40-2 -> ShuffleNetV1, CIFAR-100:
# pre-ReLU stage maps (student: the sums before each stage's last ReLU; teacher: each
# stage output through the BN before the next ReLU, mdistiller's WRN preact_feats, pooled
# to the student's sizes), margins from those BNs of the teacher; mdistiller cannot run a
# ShuffleNetV1 student (no get_stage_channels); weight 1e-3 (the originals' sum / batch /
# 1000), CE weight 1, the teacher's BNs in train mode as in both originals
# (teacher_norm_train).
# Cited 75.85: the ReviewKD paper (Chen, Liu, Zhao, Jia, "Distilling Knowledge via
# Knowledge Review", CVPR 2021, arXiv 2104.09044), CIFAR-100 tables, repeated in the DKD
# paper (arXiv 2203.08679); unverified: no published code produced it
# (clovaai/overhaul-distillation@76344a8:CIFAR-100/load_settings.py has WRN and PyramidNet
# pairs only). The recipe is the protocol of
# megvii-research/mdistiller@a08d46f:configs/cifar100/ofd.yaml (written for ResNet32x4 ->
# ResNet8x4) with megvii-research/mdistiller@a08d46f:mdistiller/distillers/OFD.py:
# FEAT_WEIGHT 1e-3, batch 64, SGD momentum 0.9, weight decay 5e-4 on the student and
# connectors, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.01 for a ShuffleV1
# student (set below).
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.layer1.3.relu_out:input',
        'backbone.layer2.7.relu_out:input',
        'backbone.layer3.3.relu_out:input',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.block2.layer.0.bn1',
            'backbone.block3.layer.0.bn1',
            'backbone.bn1',
        ],
        preact_bn=[
            'backbone.block2.layer.0.bn1:module',
            'backbone.block3.layer.0.bn1:module',
            'backbone.bn1:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[32, 64, 128],
            loss_weight=1e-3)),
    student_loss_weight=1.0)

# mdistiller and RepDistiller train MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr
# 0.01 (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
