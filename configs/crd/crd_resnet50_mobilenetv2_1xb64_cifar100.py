# CRD (Tian, Krishnan, Isola, "Contrastive Representation Distillation", ICLR 2020, arXiv
# 1910.10699), ResNet50 -> MobileNetV2, CIFAR-100: the pooled vectors (student 1280,
# teacher 2048) embedded to 128, two memory banks of 50000 rows, K = 16384 negatives of
# other classes ("exact"), NCE temperature 0.07, bank momentum 0.5, weight 0.8, CE weight
# 1, no logit KD.
# Cited 69.11: HobbitLong/RepDistiller@b84f547:README.md (last epoch; the CRD paper, ICLR
# 2020, arXiv 1910.10699, Table 2), run with
# HobbitLong/RepDistiller@b84f547:train_student.py `--distill crd -a 0 -b 0.8`
# (HobbitLong/RepDistiller@b84f547:scripts/run_cifar_distill.sh): CRD loss times 0.8, CE
# weight 1, no KD; --feat_dim 128, --nce_k 16384, --mode exact, --nce_t 0.07, --nce_m 0.5
# (defaults); embed_s and embed_t train with the student; batch 64, SGD momentum 0.9,
# weight decay 5e-4, 240 epochs, lr x0.1 after epochs 150/180/210 (the bases), lr 0.01 for
# a MobileNetV2 student (train_student.py L92-94; set below).
_base_ = [
    '../_base_/pairs/resnet50_mobilenetv2_cifar100.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/cifar100_sgd_240e.py',
    '../_base_/default_runtime.py',
]

num_negatives = 16384
model = dict(
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss',
            student_channels=1280,
            teacher_channels=2048,
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

# RepDistiller trains MobileNetV2 / ShuffleV1 / ShuffleV2 students with lr 0.01
# (HobbitLong/RepDistiller@b84f547:train_student.py L92-94).
optim_wrapper = dict(optimizer=dict(lr=0.01))
