# AB (Heo, Lee, Yun, Choi, "Knowledge Transfer via Distillation of Activation Boundaries
# Formed by Hidden Neurons", AAAI 2019, arXiv 1811.03233), ResNet50 -> VGG8, CIFAR-100:
# the pre-ReLU maps of the 4 stages (RepDistiller's feat[1:-1] with preact=True),
# connectors: 128@16->256@32 transposed 4x4/2, 256@8->512@16 transposed 4x4/2,
# 512@4->1024@8 transposed 4x4/2, 512->2048 1x1.
# Cited 70.65: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill abound -a 0 -b 1`
# (scripts/run_cifar_distill.sh).
# Stage 1, "ab_init" (helper/pretrain.py, --init_epochs 30): the student's feature
# layers and the connectors train on the AB loss alone (its 3/1000 scale, per batch)
# with their own SGD: lr 0.05 (opt.learning_rate), momentum 0.9, weight decay 5e-4,
# constant. The student's trainable layers are get_feat_modules(): its feature layers
# (the backbone; layers after the last map get no gradient). RepDistiller puts the
# student in eval() and then its get_feat_modules() back in train()
# (init_modules.train()): the feature layers train with batch statistics.
# Main stage: a fresh SGD over the student (lr 0.05, momentum 0.9, weight decay 5e-4),
# batch 64, 240 epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs
# 30-269 (0-based) of 270, milestones 180/210/240. Cross-entropy alone (helper/loops.py:
# loss_kd = 0 for abound; -b has no effect); the connectors are unused.
_base_ = [
    '../_base_/pairs/resnet50_vgg8_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(preact_feats=[
        'backbone.relu1:input',
        'backbone.relu2:input',
        'backbone.relu3:input',
        'backbone.relu4:input',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.layer1.2.relu_out:input',
        'backbone.layer2.3.relu_out:input',
        'backbone.layer3.5.relu_out:input',
        'backbone.layer4.2.relu_out:input',
    ]),
    distill_losses=dict(
        loss_ab=dict(
            type='ABLoss',
            student_channels=[128, 256, 512, 512],
            teacher_channels=[256, 512, 1024, 2048],
            student_sizes=[16, 8, 4, 4],
            teacher_sizes=[32, 16, 8, 4],
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
                trainable=['student.backbone', 'distill_losses.loss_ab'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                   weight_decay=5e-4))),
            dict(name='classification', losses=[]),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
