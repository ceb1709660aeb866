# FCFD, ResNet32x4 -> ShuffleNetV1, CIFAR-100: 4 stages (stem + 3), bridges both ways, 2
# sampled mixed paths per step, per-path BN statistics. Liu, Kan, Shan, Chen,
# "Function-Consistent Feature Distillation", ICLR 2023 (arXiv 2304.11832); reported
# 78.12 (second-hand, see configs/fcfd/README.md).
# Recipe (LiuDongyang6/FCFD@2aefb7b, classification/): experiments/cifar/train_lr0.01.sh
# (batch 64, lr 0.01), experiments/cifar/ShuffleV1-resnet32x4.yaml (T 8, weight_l2 5,
# student KD 1, mixed-path KL 1); classification/models/ShuffleNetv1.py stage_input
# "beforerelu", models/resnet.py "afterrelu"; classification/cifar/main.py (SGD momentum
# 0.9, Nesterov, weight decay 5e-4 on every parameter, l.48-57 and l.209-210; 240 epochs
# with MultiStepLR([150, 180, 210]) stepped at the start of each 0-based epoch, the
# MMEngine milestones; L2 warm-up min(1, (e + 1) / 20) for 0-based e, l.323; the
# MetaModel in train mode, so the frozen teacher's BatchNorm too, l.280:
# teacher_norm_train=True; best test top-1), classification/data_loader.py (RepDistiller
# normalisation, l.21), the CRD/RepDistiller teachers (classification/README.md;
# mdistiller ships the same files, the pair base).
_base_ = [
    '../_base_/pairs/resnet32x4_shufflev1_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(
        feats=[
            'backbone.layer1.3.relu_out:input',
            'backbone.layer2.7.relu_out:input',
            'backbone.layer3.3.relu_out:input',
        ],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    teacher_taps=dict(
        feats=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        stages=['backbone.layer2:module', 'backbone.layer3:module']),
    distill_losses=dict(
        loss_fcfd=dict(
            type='FCFDLoss',
            student_channels=[240, 480, 960],
            teacher_channels=[64, 128, 256],
            student_sizes=[16, 8, 4],
            teacher_sizes=[32, 16, 8],
            student_stage_input='beforerelu',
            teacher_stage_input='afterrelu',
            temperature=8.0,
            kd_weight=1.0,
            mix_weight=1.0,
            l2_weight=5.0,
            warmup_epochs=20)),
    teacher_norm_train=True,
    student_loss_weight=1.0)

optim_wrapper = dict(optimizer=dict(lr=0.01, nesterov=True))
