# ER-FCFD, ResNet32x4 -> ResNet8x4, Tiny-ImageNet: FCFD (the stages, bridges, paths and
# settings of erfcfd_resnet32x4_resnet8x4_1xb64_cifar100, on the 64/32/16-pixel maps of
# 64x64 inputs) with every per-sample term weighted by the teacher's entropy at t_H 4, the
# reference's broadcast of the final pooled L2 term (mean entropy) kept
# (match_reference=True). Su et al., "Knowledge From the Dark Side: Entropy-Reweighted
# Knowledge Distillation", arXiv 2311.13621; no reported number (the paper's tables were
# not retrieved). Recipe (cpsu00/ER-KD@42aa4f1, ER-FCFD/classification/):
# experiments/tin/script_ER_FCFD.sh runs experiments/tin/train_lr0.05.sh resnet8x4
# resnet32x4 1 (tin/main.py, batch 64, lr 0.05, seed 1) with
# experiments/tin/resnet8x4-resnet32x4.yaml (T 4, weight_l2 5, KD 1, mixed-path KL 1);
# tin/main.py is cifar/main.py with 200 classes and data_loader.py's get_tin_train_loader
# / get_tin_test_loader (RandomCrop(64, pad 8) + flip, ImageNet mean/std, ImageFolder's
# sorted-wnid labels): Nesterov, momentum 0.9, weight decay 5e-4, 240 epochs, milestones
# 150/180/210, L2 warm-up (e + 1) / 20, teacher BatchNorm in train mode
# (teacher_norm_train=True), entropy at t_H 4; the models of models/resnet.py pool
# globally.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_tinyimagenet.py',
    '../_base_/datasets/tinyimagenet_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

_taps = dict(
    feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
    stages=['backbone.layer2:module', 'backbone.layer3:module'])
model = dict(
    student_taps=_taps,
    teacher_taps=_taps,
    distill_losses=dict(
        loss_erfcfd=dict(
            type='ERFCFDLoss',
            loss=dict(
                type='FCFDLoss',
                student_channels=[64, 128, 256],
                teacher_channels=[64, 128, 256],
                student_sizes=[64, 32, 16],
                teacher_sizes=[64, 32, 16],
                temperature=4.0,
                kd_weight=1.0,
                mix_weight=1.0,
                l2_weight=5.0,
                warmup_epochs=20,
                loss_weight=1.0),
            entropy_temperature=4.0,
            match_reference=True)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(nesterov=True))
train_dataloader = dict(dataset=dict(sort_classes=True))
val_dataloader = dict(dataset=dict(sort_classes=True))
test_dataloader = dict(dataset=dict(sort_classes=True))
