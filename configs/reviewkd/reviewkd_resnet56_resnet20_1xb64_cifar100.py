# ReviewKD, ResNet56 -> ResNet20, CIFAR-100, mdistiller's protocol. No reported number:
# mdistiller reports no ReviewKD result, and the paper's number was produced by the
# official protocol, reviewkd_resnet56_resnet20_1xb128_cifar100.py.
# Loss: the official build_review_kd
# (dvlab-research/ReviewKD@cede6ea:CIFAR-100/model/reviewkd.py); lambda 0.6 from
# dvlab-research/ReviewKD@cede6ea:CIFAR-100/script/reviewKD.sh.
# Recipe: megvii-research/mdistiller@a08d46f:configs/cifar100/reviewkd.yaml (written for
# ResNet32x4 -> ResNet8x4 only; here extrapolated): batch 64, SGD momentum 0.9 without
# Nesterov, weight decay 5e-4, 240 epochs, x0.1 after epochs 150/180/210 (1-based,
# engine/utils.py adjust_learning_rate), the RepDistiller normalisation, teacher in eval
# mode (the base files); lr 0.05; warm-up min(epoch / 20, 1) over 1-based epochs
# (mdistiller/distillers/ReviewKD.py), the default warmup_convention='one_based'; CE
# weight 1.
_base_ = [
    '../_base_/pairs/resnet56_resnet20_cifar100.py',
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
        'backbone.layer1.8.relu_out:input',
        'backbone.layer2.8.relu_out:input',
        'backbone.layer3.8.relu_out:input',
    ]),
    distill_losses=dict(
        loss_reviewkd=dict(
            type='ReviewKDLoss',
            student_channels=[16, 32, 64, 64],
            teacher_channels=[16, 32, 64, 64],
            warmup_epochs=20,
            loss_weight=0.6)),
    student_loss_weight=1.0)
