# AB (Heo, Lee, Yun, Choi, "Knowledge Transfer via Distillation of Activation Boundaries
# Formed by Hidden Neurons", AAAI 2019, arXiv 1811.03233), VGG13 -> MobileNetV2,
# CIFAR-100: the pre-ReLU maps of the 4 stages (RepDistiller's feat[1:-1] with
# preact=True), connectors: 12->128 1x1, 16->256 1x1, 48->512 1x1, 160@2->512@4
# transposed 4x4/2.
# Cited 66.06: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill abound -a 0 -b 1`
# (scripts/run_cifar_distill.sh).
# Stage 1, "ab_init" (helper/pretrain.py, --init_epochs 30): the student's feature
# layers and the connectors train on the AB loss alone (its 3/1000 scale, per batch)
# with their own SGD: lr 0.01 (opt.learning_rate), momentum 0.9, weight decay 5e-4,
# constant. The student's trainable layers are get_feat_modules(): its feature layers
# (the backbone; layers after the last map get no gradient). RepDistiller puts the
# student in eval() and then its get_feat_modules() back in train()
# (init_modules.train()): the feature layers train with batch statistics;
# backbone.conv2, outside them, stays in eval().
# Main stage: a fresh SGD over the student (lr 0.01 for a MobileNetV2 / ShuffleNet
# student: train_student.py L92-94; momentum 0.9, weight decay 5e-4), batch 64, 240
# epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs 30-269
# (0-based) of 270, milestones 180/210/240. Cross-entropy alone (helper/loops.py:
# loss_kd = 0 for abound; -b has no effect); the connectors are unused.
_base_ = [
    '../_base_/pairs/vgg13_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(preact_feats=[
        'backbone.blocks.1',
        'backbone.blocks.2',
        'backbone.blocks.4',
        'backbone.blocks.6',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.relu1:input',
        'backbone.relu2:input',
        'backbone.relu3:input',
        'backbone.relu4:input',
    ]),
    distill_losses=dict(
        loss_ab=dict(
            type='ABLoss',
            student_channels=[12, 16, 48, 160],
            teacher_channels=[128, 256, 512, 512],
            student_sizes=[16, 8, 4, 2],
            teacher_sizes=[16, 8, 4, 4],
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
                eval=['student.backbone.conv2'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                   weight_decay=5e-4))),
            dict(name='classification', losses=[]),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
