# KD (Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network", arXiv
# 1503.02531), ResNet-34 -> ResNet-18, ImageNet-1k: T 1, KD weight 0.5, CE weight 0.5.
# Cited 71.03: megvii-research/mdistiller@a08d46f:README.md (best epoch; the DKD paper,
# CVPR 2022, arXiv 2203.08679, ImageNet table), run with
# megvii-research/mdistiller@a08d46f:tools/train.py and
# megvii-research/mdistiller@a08d46f:configs/imagenet/r34_r18/kd.yaml: KD.TEMPERATURE 1,
# CE_WEIGHT 0.5, KD_WEIGHT 0.5; SOLVER.BATCH_SIZE 512 (8 GPUs x 64, the maintainers in
# megvii-research/mdistiller#62), LR 0.2, SGD momentum 0.9 without Nesterov, weight decay
# 1e-4, 100 epochs, lr x0.1 after epochs 30/60/90 (the schedule base). Data: PIL decoding
# and resizing as megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py
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

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
