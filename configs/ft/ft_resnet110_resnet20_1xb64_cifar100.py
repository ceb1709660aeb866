# FT (Kim, Park, Kwak, "Paraphrasing Complex Network: Network Compression via Factor
# Transfer", NeurIPS 2018, arXiv 1802.04977), ResNet110 -> ResNet20, CIFAR-100: the last
# stage map (RepDistiller's feat[-2]), student layer3 64@8, teacher layer3 64@8; factors
# of int(0.5 x 64) = 32 channels.
# Cited 70.22: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper,
# ICLR 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill factor -a 0 -b 200`
# (scripts/run_cifar_distill.sh).
# Stage 1, "paraphraser" (helper/pretrain.py, --init_epochs 30): the paraphraser alone
# trains on the MSE reconstruction of the teacher map (weight 1), the student in eval()
# and frozen, with its own SGD: lr 0.01: helper/pretrain.py L22-25 sets it for
# ResNet/WRN students under --distill factor, momentum 0.9, weight decay 5e-4, constant.
# Main stage: a fresh SGD over the student (lr 0.05, momentum 0.9, weight decay 5e-4),
# batch 64, 240 epochs, lr x0.1 after 150/180/210 of them (helper/util.py): here epochs
# 30-269 (0-based) of 270, milestones 180/210/240. The student and the translator train
# on CE + 200 x the factor loss (helper/loops.py); the paraphraser is frozen.
_base_ = [
    '../_base_/pairs/resnet110_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=['backbone.layer3']),
    teacher_taps=dict(feats=['backbone.layer3']),
    distill_losses=dict(
        loss_ft=dict(
            type='FTLoss',
            student_channels=64,
            teacher_channels=64,
            rate=0.5,
            loss_weight=200.0)),
    student_loss_weight=1.0)

# 30 paraphraser epochs, then RepDistiller's 240 (milestones shifted by 30).
train_cfg = dict(max_epochs=270)
param_scheduler = dict(milestones=[180, 210, 240])
custom_hooks = [
    dict(
        type='TrainingStageHook',
        stages=[
            dict(
                name='paraphraser',
                epochs=30,
                loss_attrs=dict(loss_ft=dict(phase='paraphraser')),
                student_loss_weight=0.0,
                trainable=['distill_losses.loss_ft.paraphraser'],
                eval=['student'],
                optim_wrapper=dict(
                    optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                                   weight_decay=5e-4))),
        ])
]
# The stages leave parameters without gradient (DDP must know).
find_unused_parameters = True
