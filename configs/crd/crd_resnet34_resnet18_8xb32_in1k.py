# CRD (Tian, Krishnan, Isola, "Contrastive Representation Distillation", ICLR 2020, arXiv
# 1910.10699), ResNet-34 -> ResNet-18, ImageNet-1k: the pooled vectors (512 -> 512)
# embedded to 128, two memory banks of 1281167 rows (one per training image: 2 x 656 MB in
# float32, saved in every checkpoint), K = 16384 negatives of other classes ("exact";
# drawn without replacement, mdistiller's ImageNet sampler draws with replacement: a
# negligible difference), NCE temperature 0.07, bank momentum 0.5, weight 0.8, CE weight
# 1, no logit KD.
# Cited 71.17: the CRD paper's ImageNet table (Table 3, top-1 error 28.83); unverified:
# HobbitLong/RepDistiller@b84f547:train_student.py runs CIFAR-100 only and the ImageNet
# code and recipe are unpublished. The recipe is mdistiller's,
# megvii-research/mdistiller@a08d46f:configs/imagenet/r34_r18/crd.yaml with
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/CRD.py: STUDENT_DIM /
# TEACHER_DIM 512, FEAT.DIM 128, NCE K 16384 / T 0.07 / MOMENTUM 0.5, FEAT_WEIGHT 0.8
# (mdistiller/engine/cfg.py); SOLVER.BATCH_SIZE 256 (8 x 32 here), LR 0.1, SGD momentum
# 0.9 without Nesterov, weight decay 1e-4, 100 epochs, lr x0.1 after epochs 30/60/90 (the
# schedule base). Data: PIL decoding and resizing as
# megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py
# (imagenet_bs32_pil.py). Student initialised as
# megvii-research/mdistiller@a08d46f:mdistiller/models/imagenet/resnet.py
# (resnet18_torchvision_init.py: no zero-initialised last BN per block, PyTorch's default
# Linear initialisation). Teacher: torchvision's legacy resnet34-333f7ec4.pth, the file
# mdistiller downloads (convert it as the pair base says).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

num_negatives = 16384
model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss',
            student_channels=512,
            teacher_channels=512,
            num_data=1281167,  # ImageNet-1k training set: one bank row per sample
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
