# SP (Tung, Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019, arXiv
# 1907.09682), ResNet32x4 -> ShuffleNetV2, CIFAR-100: the last stage output of both
# (teacher layer3 256@8, student layer3 464@4), weight 3000, CE weight 1.
# Cited 74.56: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill similarity -a 0 -b 3000`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): similarity loss of
# feat[-2] times 3000, CE weight 1, no KD; batch 64, SGD momentum 0.9, weight decay 5e-4,
# 240 epochs, lr x0.1 after epochs 150/180/210 (the bases), lr 0.01 for a ShuffleV2
# student (train_student.py L92-94; set below).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_sp=dict(type='SPLoss', loss_weight=3000.0)),
    student_loss_weight=1.0)

# RepDistiller trains MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr 0.01
# (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
