# AB (Heo, Lee, Yun, Choi, "Knowledge Transfer via Distillation of Activation Boundaries
# Formed by Hidden Neurons", AAAI 2019, arXiv 1811.03233), WRN-40-2 -> ShuffleNetV1,
# CIFAR-100: the pre-ReLU maps of the 3 stages (RepDistiller's feat[1:-1] with
# preact=True), connectors: 240@16->32@32 transposed 4x4/2, 480@8->64@16 transposed
# 4x4/2, 960@4->128@8 transposed 4x4/2.
# Cited 73.34: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill abound -a 0 -b 1`
# (scripts/run_cifar_distill.sh).
# Stage 1, "ab_init" (helper/pretrain.py, --init_epochs 30): the student's feature
# layers and the connectors train on the AB loss alone (its 3/1000 scale, per batch)
# with their own SGD: lr 0.01 (opt.learning_rate), momentum 0.9, weight decay 5e-4,
# constant. The student's trainable layers are get_feat_modules(): its feature layers
# (the backbone; layers after the last map get no gradient). RepDistiller puts the
# student in eval() and then its get_feat_modules() back in train()
# (init_modules.train()): the feature layers train with batch statistics.
# Main stage: a fresh SGD over the student (lr 0.01 for a MobileNetV2 / ShuffleNet
# student: train_student.py L92-94; momentum 0.9, weight decay 5e-4), batch 64, 240
# epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs 30-269
# (0-based) of 270, milestones 180/210/240. Cross-entropy alone (helper/loops.py:
# loss_kd = 0 for abound; -b has no effect); the connectors are unused.
_base_ = [
    '../_base_/pairs/wrn_40_2_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(preact_feats=[
        'backbone.layer1.3.relu_out:input',
        'backbone.layer2.7.relu_out:input',
        'backbone.layer3.3.relu_out:input',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_ab=dict(
            type='ABLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[32, 64, 128],
            student_sizes=[16, 8, 4],
            teacher_sizes=[32, 16, 8],
            margin=1.0,
            loss_weight=3e-3)),
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(lr=0.01))

# 30 initialisation epochs, then RepDistiller's 240 (milestones shifted by 30).
train_cfg = dict(max_epochs=270)
param_scheduler = dict(milestones=[180, 210, 240])
custom_hooks = [
    dict(
        type='TrainingStageHook',
        stages=[
            dict(
                name='ab_init',
                epochs=30,
                losses=['loss_ab'],
                student_loss_weight=0.0,
                trainable=['student.backbone', 'distill_losses.loss_ab'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                   weight_decay=5e-4))),
            dict(name='classification', losses=[]),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
