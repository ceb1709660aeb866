# VID (Ahn et al., "Variational Information Distillation for Knowledge Transfer", CVPR
# 2019, arXiv 1904.05835), ResNet32x4 -> ShuffleNetV2, CIFAR-100: the stages without the
# stem (teacher layer1-3 (32/16/8 px), student layer1-3 (16/8/4 px), the larger map of a
# pair average-pooled to the smaller), one 1x1-conv regressor and one trained variance per
# teacher channel (initial 5) per stage, weight 1, CE weight 1.
# Cited 73.40: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill vid -a 0 -b 1`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): VID loss of feat[1:-1]
# times 1, CE weight 1, no KD; the regressors and the variances train with the student
# (the VIDLoss modules are in trainable_list); batch 64, SGD momentum 0.9, weight decay
# 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210 (the bases), lr 0.01 for a ShuffleV2
# student (train_student.py L92-94; set below).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
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
            student_channels=[116, 232, 464],
            teacher_channels=[64, 128, 256],
            init_var=5.0,
            loss_weight=1.0)),
    student_loss_weight=1.0)

# RepDistiller trains MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr 0.01
# (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
