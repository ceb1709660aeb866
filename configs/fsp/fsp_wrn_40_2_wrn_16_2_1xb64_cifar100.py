# FSP (Yim, Joo, Bae, Kim, "A Gift from Knowledge Distillation: Fast Optimization,
# Network Minimization and Transfer Learning", CVPR 2017), WRN-40-2 -> WRN-16-2,
# CIFAR-100: FSP matrices of the consecutive maps stem + stages (RepDistiller's
# feat[:-1]; the default feats taps, here conv1, block1, block2, block3 of the student),
# channels [16, 32, 64, 128] on both sides.
# Cited 72.91: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill fsp -a 0 -b 50`
# (scripts/run_cifar_distill.sh).
# Stage 1, "fsp_init" (helper/pretrain.py, --init_epochs 30): the student's feature
# layers (get_feat_modules()) train on the sum of the FSP losses (weight 1) with their
# own SGD: lr 0.05 (opt.learning_rate), momentum 0.9, weight decay 5e-4, constant.
# RepDistiller puts the student in eval() and then its get_feat_modules() back in
# train() (init_modules.train()): the feature layers train with batch statistics;
# backbone.bn1, outside them, stays in eval().
# Main stage: a fresh SGD over the student (lr 0.05, momentum 0.9, weight decay 5e-4),
# batch 64, 240 epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs
# 30-269 (0-based) of 270, milestones 180/210/240. Cross-entropy alone (helper/loops.py:
# loss_kd = 0 for fsp; -b has no effect).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_fsp=dict(type='FSPLoss', loss_weight=1.0)),
    student_loss_weight=1.0)

# 30 initialisation epochs, then RepDistiller's 240 (milestones shifted by 30).
train_cfg = dict(max_epochs=270)
param_scheduler = dict(milestones=[180, 210, 240])
custom_hooks = [
    dict(
        type='TrainingStageHook',
        stages=[
            dict(
                name='fsp_init',
                epochs=30,
                losses=['loss_fsp'],
                student_loss_weight=0.0,
                trainable=['student.backbone'],
                eval=['student.backbone.bn1'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                   weight_decay=5e-4))),
            dict(name='classification', losses=[]),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
