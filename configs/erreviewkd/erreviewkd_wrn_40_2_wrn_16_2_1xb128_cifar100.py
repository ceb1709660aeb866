# ER-ReviewKD, WRN-40-2 -> WRN-16-2, CIFAR-100 (methods_feature.md 3.11): ReviewKD
# (in/out channels 32, 64, 128, 128 (16r, 32r, 64r, 64r with r = 2), mid 128, lambda 5,
# warm-up 20 epochs) with every HCL error weighted by the teacher's entropy at T 4. Same
# levels as ReviewKD; the shared CIFAR-100 recipe (batch 64, lr 0.05, eval-mode teacher)
# instead of the reference's batch 128 / lr 0.1 / Nesterov / train-mode teacher. CE
# weight 1.
_base_ = [
    '../_base_/pairs/wrn_40_2_wrn_16_2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.block1',
        'backbone.block2',
        'backbone.block3',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.block2.layer.0.bn1',
        'backbone.block3.layer.0.bn1',
        'backbone.bn1',
    ]),
    distill_losses=dict(
        loss_erreviewkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(
                type='ReviewKDLoss',
                student_channels=[32, 64, 128, 128],
                teacher_channels=[32, 64, 128, 128],
                warmup_epochs=20,
                loss_weight=5.0),
            entropy_temperature=4.0)),
    student_loss_weight=1.0)
