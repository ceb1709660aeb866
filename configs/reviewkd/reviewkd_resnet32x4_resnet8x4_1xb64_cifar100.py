# ReviewKD (Chen, Liu, Zhao, Jia, "Distilling Knowledge via Knowledge Review", CVPR 2021,
# arXiv 2104.09044), ResNet32x4 -> ResNet8x4, CIFAR-100, mdistiller's protocol: ABF
# in/out channels 64, 128, 256, 256, mid min(512, 256) = 256, HCL weight 5, loss warm-up
# over 20 epochs, CE weight 1. Student levels: its post-ReLU stage outputs + pooled vector
# (STU_PREACT False); teacher: its pre-ReLU stage outputs + pooled vector; the stem is
# dropped; the teacher in eval mode under no_grad.
# Recipe: megvii-research/mdistiller@a08d46f:configs/cifar100/reviewkd.yaml with
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/ReviewKD.py: REVIEWKD_WEIGHT 5
# (WARMUP_EPOCHS 20, IN_CHANNELS = OUT_CHANNELS [64, 128, 256, 256] from
# mdistiller/engine/cfg.py; the warm-up factor min(epoch / 20, 1) counts epochs from 1,
# ReviewKDLoss's default (e + 1) / 20 from 0: the same factors), batch 64, SGD momentum
# 0.9 without Nesterov, weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210,
# lr 0.05 (the bases); the CRD teachers of mdistiller's cifar_teachers.tar (the pair
# base).
# mdistiller publishes no ReviewKD result. The ReviewKD paper's CIFAR-100 number for this
# pair comes from the official code (dvlab-research/ReviewKD@cede6ea:CIFAR-100/train.py
# with script/reviewKD.sh: batch 128, lr 0.1, Nesterov, CIFAR-10 normalisation, the
# teacher's BNs in train mode, its own teachers), another recipe.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.layer1.4.relu_out:input',
        'backbone.layer2.4.relu_out:input',
        'backbone.layer3.4.relu_out:input',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[64, 128, 256, 256],
            teacher_channels=[64, 128, 256, 256],
            warmup_epochs=20,
            loss_weight=5.0)),
    student_loss_weight=1.0)
