# ER-ReviewKD, ResNet32x4 -> ResNet8x4, CIFAR-100: ReviewKD (configs/reviewkd) with
# every squared error of the HCL weighted by its sample's teacher entropy at t_H 4. Su
# et al., "Knowledge From the Dark Side: Entropy-Reweighted Knowledge Distillation",
# arXiv 2311.13621 v1; no reported number.
# Recipe:
# cpsu00/ER-KD@42aa4f19f0942876b9cdea18838b5b808c64f2b2:ER-ReviewKD/CIFAR-100/train.py,
# the official ReviewKD CIFAR protocol:
#   this pair, lambda 5 and mdistiller's resnet32x4 teacher (the pair base's):
#     script/script_ER_ReviewKD.sh, its only runnable line (the argument dump in
#     logs/cifar100_resnet8x4_resnet32x4_er_reviewkd1.txt agrees);
#   t_H 4 (train.py l.242-244, probabilities clamped at 1e-10); teacher under no_grad
#     (l.239);
#   warm-up min(1, e / 20) over 0-based epochs (l.250): warmup_convention='zero_based';
#   lr 0.1 (l.36), Nesterov (l.195-196), decays after 0-based epochs 150/180/210 (l.279,
#     util/misc.py lr_schedule), batch 128 (l.32), CIFAR-10 normalisation (l.113): the
#     schedule and data bases;
#   teacher BatchNorm in train mode (never eval(); the entropy uses its train-mode
#     logits): teacher_norm_train=True. CE weight 1.
_base_ = [
    '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../_base_/datasets/cifar100_bs128_reviewkd.py',
    '../_base_/schedules/cifar100_sgd_240e_reviewkd.py',
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
                warmup_convention='zero_based',
                loss_weight=5.0),
            entropy_temperature=4.0)),
    teacher_norm_train=True,
    student_loss_weight=1.0)
