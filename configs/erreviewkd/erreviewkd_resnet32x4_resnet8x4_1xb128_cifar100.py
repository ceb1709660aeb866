# ER-ReviewKD, ResNet32x4 -> ResNet8x4, CIFAR-100 (methods_feature.md 3.11): ReviewKD
# (in/out channels 64, 128, 256, 256, mid 256, lambda 5, warm-up 20 epochs) with every
# HCL error weighted by the teacher's entropy at T 4. Same levels as ReviewKD; the
# shared CIFAR-100 recipe (batch 64, lr 0.05, eval-mode teacher) instead of the
# reference's batch 128 / lr 0.1 / Nesterov / train-mode teacher. CE weight 1.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student_taps=dict(feats=[
        'backbone.layer1',
        'backbone.layer2',
        'backbone.layer3',
    ]),
    teacher_taps=dict(preact_feats=[
        'backbone.layer1.4.relu_out:input',
        'backbone.layer2.4.relu_out:input',
        'backbone.layer3.4.relu_out:input',
    ]),
    distill_losses=dict(
        loss_erreviewkd=dict(
            type='EntropyReweightedLoss',
            loss=dict(
                type='ReviewKDLoss',
                student_channels=[64, 128, 256, 256],
                teacher_channels=[64, 128, 256, 256],
                warmup_epochs=20,
                loss_weight=5.0),
            entropy_temperature=4.0)),
    student_loss_weight=1.0)
