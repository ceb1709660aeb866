# AT (Zagoruyko, Komodakis, "Paying More Attention to Attention", ICLR 2017, arXiv
# 1612.03928), ResNet-34 -> ResNet-18, ImageNet-1k: the four post-ReLU stage outputs of
# both (feats[1:]), p 2, weight 1000, CE weight 1.
# Cited 70.69: the DKD paper's ImageNet table (CVPR 2022, arXiv 2203.08679), taken from
# the ReviewKD paper (CVPR 2021, arXiv 2104.09044); unverified: the code and recipe that
# produced it are unknown (mdistiller publishes no AT result). The recipe is mdistiller's,
# megvii-research/mdistiller@a08d46f:configs/imagenet/r34_r18/at.yaml with
# megvii-research/mdistiller@a08d46f:mdistiller/distillers/AT.py: P 2, FEAT_WEIGHT 1000,
# CE_WEIGHT 1 (mdistiller/engine/cfg.py); SOLVER.BATCH_SIZE 512 (8 GPUs x 64, the
# maintainers in megvii-research/mdistiller#62), LR 0.2, SGD momentum 0.9 without
# Nesterov, weight decay 1e-4, 100 epochs, lr x0.1 after epochs 30/60/90 (the schedule
# base). Data: PIL decoding and resizing as
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

stages = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3', 'backbone.layer4']

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    student_taps=dict(feats=stages),
    teacher_taps=dict(feats=stages),
    distill_losses=dict(loss_at=dict(type='ATLoss', p=2, loss_weight=1000.0)),
    student_loss_weight=1.0)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
