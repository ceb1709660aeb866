# VID (Ahn et al., "Variational Information Distillation for Knowledge Transfer", CVPR
# 2019, arXiv 1904.05835), ResNet110 -> ResNet32, CIFAR-100: the stages without the stem
# (layer1-3 of both), one 1x1-conv regressor and one trained variance per teacher channel
# (initial 5) per stage, weight 1, CE weight 1.
# Cited 72.61: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill vid -a 0 -b 1`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): VID loss of feat[1:-1]
# times 1, CE weight 1, no KD; the regressors and the variances train with the student
# (the VIDLoss modules are in trainable_list); batch 64, SGD momentum 0.9, weight decay
# 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
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
    teacher_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    distill_losses=dict(
        loss_vid=dict(
            type='VIDLoss',
            student_channels=[16, 32, 64],
            teacher_channels=[16, 32, 64],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)
