# CRD (Tian, Krishnan, Isola, "Contrastive Representation Distillation", ICLR 2020, arXiv
# 1910.10699), ResNet110 -> ResNet32, CIFAR-100: the pooled vectors (64 -> 64) embedded to
# 128, two memory banks of 50000 rows, K = 16384 negatives of other classes ("exact"), NCE
# temperature 0.07, bank momentum 0.5, weight 0.8, CE weight 1, no logit KD.
# Cited 73.48: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 1), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill crd -a 0 -b 0.8`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): CRD loss times 0.8, CE
# weight 1, no KD; --feat_dim 128, --nce_k 16384, --mode exact, --nce_t 0.07, --nce_m 0.5
# (defaults); embed_s and embed_t train with the student; batch 64, SGD momentum 0.9,
# weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210, lr 0.05 (the bases).
_base_ = [
    '../_base_/pairs/resnet110_resnet32_cifar100.py',
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
