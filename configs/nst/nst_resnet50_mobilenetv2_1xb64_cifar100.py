# NST (Huang, Wang, "Like What You Like: Knowledge Distill via Neuron Selectivity
# Transfer", arXiv 1707.01219), ResNet50 -> MobileNetV2, CIFAR-100: the stages without the
# stem (teacher layer1-4 (32/16/8/4 px), student blocks.1/2/4/6 (16/8/4/2 px), the larger
# map of a pair average-pooled to the smaller), polynomial kernel (d 2), weight 50, CE
# weight 1.
# Cited 64.96: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill nst -a 0 -b 50`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): NSTLoss of feat[1:-1]
# times 50, CE weight 1, no KD; batch 64, SGD momentum 0.9, weight decay 5e-4, 240 epochs,
# lr x0.1 after epochs 150/180/210 (the bases), lr 0.01 for a MobileNetV2 student
# (train_student.py L92-94; set below).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.blocks.1',
        'backbone.blocks.2',
        'backbone.blocks.4',
        'backbone.blocks.6',
    ]),
    teacher_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
        'backbone.layer4',
    ]),
    distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=50.0)),
    student_loss_weight=1.0)

# RepDistiller trains MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr 0.01
# (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
