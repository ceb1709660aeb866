# OFD (Heo, Kim, Yun, Park, Kwak, Choi, "A Comprehensive Overhaul of Feature
# Distillation", ICCV 2019, arXiv 1904.01866), VGG13 -> MobileNetV2, CIFAR-100: four
# pre-ReLU stage maps (student: the linear-bottleneck outputs of blocks.1/2/4/6; teacher:
# the group outputs before their ReLU, pooled to the student's sizes), margins from the
# last BN of each teacher group (block<k>.4); mdistiller cannot run a MobileNetV2 student
# (no preact_feats); weight 1e-3 (the originals' sum / batch / 1000), CE weight 1, the
# teacher's BNs in train mode as in both originals (teacher_norm_train).
# Cited 69.48: the ReviewKD paper (Chen, Liu, Zhao, Jia, "Distilling Knowledge via
# Knowledge Review", CVPR 2021, arXiv 2104.09044), CIFAR-100 tables, repeated in the DKD
# paper (arXiv 2203.08679); unverified: no published code produced it
# (clovaai/overhaul-distillation@76344a8:CIFAR-100/load_settings.py has WRN and PyramidNet
# pairs only). The recipe is the protocol of
# megvii-research/mdistiller@a08d46f:configs/cifar100/ofd.yaml (written for ResNet32x4 ->
# ResNet8x4) with megvii-research/mdistiller@a08d46f:mdistiller/distillers/OFD.py:
# FEAT_WEIGHT 1e-3, batch 64, SGD momentum 0.9, weight decay 5e-4 on the student and
# connectors, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.01 for a MobileNetV2
# student (set below).
_base_ = [
    '../_base_/pairs/vgg13_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    teacher_norm_train=True,
    student_taps=dict(preact_feats=[
        'backbone.blocks.1',
        'backbone.blocks.2',
        'backbone.blocks.4',
        'backbone.blocks.6',
    ]),
    teacher_taps=dict(
        preact_feats=[
            'backbone.relu1:input',
            'backbone.relu2:input',
            'backbone.relu3:input',
            'backbone.relu4:input',
        ],
        preact_bn=[
            'backbone.block1.4:module',
            'backbone.block2.4:module',
            'backbone.block3.4:module',
            'backbone.block4.4:module',
        ]),
    distill_losses=dict(
        loss_ofd=dict(
            type='OFDLoss',
            student_channels=[12, 16, 48, 160],
            teacher_channels=[128, 256, 512, 512],
            loss_weight=1e-3)),
    student_loss_weight=1.0)

# mdistiller and RepDistiller train MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr
# 0.01 (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
