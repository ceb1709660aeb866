# FCFD, WRN-40-2 -> WRN-16-2, CIFAR-100: 4 stages (conv1, block1, block2, block3 + the
# final bn1) cut at the raw block outputs ('beforebn': bridges into a WRN have no
# activation), bridges both ways, 2 sampled mixed paths per step, per-path BN
# statistics. Liu, Kan, Shan, Chen, "Function-Consistent Feature Distillation", ICLR 2023
# (arXiv 2304.11832); no reported number.
# Recipe (LiuDongyang6/FCFD@2aefb7b, classification/): experiments/cifar/train_lr0.05.sh
# (batch 64, lr 0.05), experiments/cifar/wrn_16_2-wrn_40_2.yaml (T 4, weight_l2 5,
# student KD 1, mixed-path KL 0.2); classification/models/wrn.py stage_input "beforebn";
# classification/cifar/main.py (SGD momentum 0.9, Nesterov, weight decay 5e-4 on every
# parameter, l.48-57 and l.209-210; 240 epochs with MultiStepLR([150, 180, 210]) stepped
# at the start of each 0-based epoch, the MMEngine milestones; L2 warm-up min(1, (e + 1)
# / 20) for 0-based e, l.323; the MetaModel in train mode, so the frozen teacher's
# BatchNorm too, l.280: teacher_norm_train=True; best test top-1),
# classification/data_loader.py (RepDistiller normalisation, l.21), the CRD/RepDistiller
# teachers (classification/README.md; mdistiller ships the same files, the pair base).
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

_taps = dict(
    feats=['backbone.block1', 'backbone.block2', 'backbone.bn1'],
    stages=['backbone.block2:module', 'backbone.block3:module', 'backbone.bn1:module'])
model = dict(
    student_taps=_taps,
    teacher_taps=_taps,
    distill_losses=dict(
        loss_fcfd=dict(
            type='FCFDLoss',
            student_channels=[32, 64, 128],
            teacher_channels=[32, 64, 128],
            student_sizes=[32, 16, 8],
            teacher_sizes=[32, 16, 8],
            student_stage_input='beforebn',
            teacher_stage_input='beforebn',
            student_stage_modules=[1, 2],
            teacher_stage_modules=[1, 2],
            temperature=4.0,
            kd_weight=1.0,
            mix_weight=0.2,
            l2_weight=5.0,
            warmup_epochs=20)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
