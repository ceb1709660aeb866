# CRD, ResNet110 -> ResNet20, CIFAR-100 (methods_feature.md 3.8): the pooled vectors
# (64 -> 64) embedded to 128, two memory banks of 50000 rows, K = 16384 negatives of
# other classes ("exact"), NCE temperature 0.07, bank momentum 0.5, weight 0.8, CE
# weight 1, no logit KD, lr 0.05 (pair base). RepDistiller reports 71.46 (its README's
# R110 -> R20 column, spec 5.1).
_base_ = [
    '../_base_/pairs/resnet110_resnet20_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

num_negatives = 16384
model = dict(
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss',
            student_channels=64,
            teacher_channels=64,
            num_data=50000,  # CIFAR-100 training set: one bank row per sample
            feat_dim=128,
            num_negatives=num_negatives,
            nce_temperature=0.07,
            momentum=0.5,
            loss_weight=0.8)),
    student_loss_weight=1.0)

# The loss needs each sample's contrast indices: wrap the training set.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ContrastiveIndexDataset',
        num_negatives=num_negatives,
        mode='exact',
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
# New negatives every epoch (the wrapper's draws depend on the epoch).
custom_hooks = [dict(type='ContrastiveEpochHook')]
