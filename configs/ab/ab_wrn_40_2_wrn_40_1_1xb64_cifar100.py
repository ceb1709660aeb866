# AB (Heo, Lee, Yun, Choi, "Knowledge Transfer via Distillation of Activation Boundaries
# Formed by Hidden Neurons", AAAI 2019, arXiv 1811.03233), WRN-40-2 -> WRN-40-1,
# CIFAR-100: the pre-ReLU maps of the 3 stages (RepDistiller's feat[1:-1] with
# preact=True), connectors: 16->32 1x1, 32->64 1x1, 64->128 1x1.
# Cited 72.38: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill abound -a 0 -b 1`
# (scripts/run_cifar_distill.sh).
# Stage 1, "ab_init" (helper/pretrain.py, --init_epochs 30): the student's feature
# layers and the connectors train on the AB loss alone (its 3/1000 scale, per batch)
# with their own SGD: lr 0.05 (opt.learning_rate), momentum 0.9, weight decay 5e-4,
# constant. The student's trainable layers are get_feat_modules() of models/wrn.py:
# conv1 and block1-3, not the final bn1 whose output is the third map. RepDistiller puts
# the student in eval() and then its get_feat_modules() back in train()
# (init_modules.train()): the feature layers train with batch statistics; backbone.bn1,
# outside them, stays in eval().
# Main stage: a fresh SGD over the student (lr 0.05, momentum 0.9, weight decay 5e-4),
# batch 64, 240 epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs
# 30-269 (0-based) of 270, milestones 180/210/240. Cross-entropy alone (helper/loops.py:
# loss_kd = 0 for abound; -b has no effect); the connectors are unused.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_40_1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_ab=dict(
            type='ABLoss',
            student_channels=[16, 32, 64],
            teacher_channels=[32, 64, 128],
            margin=1.0,
            loss_weight=3e-3)),
    student_loss_weight=1.0)

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
                trainable=[
                    'student.backbone.conv1', 'student.backbone.block1',
                    'student.backbone.block2', 'student.backbone.block3',
                    'distill_losses.loss_ab'
                ],
                eval=['student.backbone.bn1'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                   weight_decay=5e-4))),
            dict(name='classification', losses=[]),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
