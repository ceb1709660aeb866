# SD-DKD, ResNet-50 -> MobileNetV1, ImageNet-1k: the recipe of
# shicaiwei123/SDD-CVPR2024@e412036: python -m torch.distributed.launch --nproc_per_node=2
# train.py --cfg configs/imagenet/r50_mv2/sdd_dkd.yaml --M [1,2,4] (run.sh). Paper: Wei,
# Luo, Luo, "Scale Decoupled Distillation", CVPR 2024, arXiv 2403.13512. The cited 73.08
# is the SD-DKD top-1 of shicaiwei123/SDD-CVPR2024@e412036:ImageNet.png (the README's
# ImageNet table) and of run.sh.
# - Loss: DKD on every region of the pyramid (mdistiller/distillers/SDD_DKD.py, levels
#   [1,2,4]), alpha 1, beta 2.0, T 1, CE 1 (the yaml); train.py forces the warm-up to 1
#   epoch.
# - Batch: SOLVER.BATCH_SIZE 256 per process x 2 = 512 (8 GPUs x 64 here).
# - BN: train.py converts the distiller to SyncBatchNorm, so the student's batch
#   statistics cover the whole batch of 512: sync_bn='torch' (MMEngine converts the model
#   under a distributed launcher; the teacher stays in eval and uses its running
#   statistics).
# - Schedule (the yaml): SGD lr 0.2, momentum 0.9, weight decay 1e-4, 100 epochs, x0.1 at
#   30/60/90.
# - Data: JPEGs decoded and resized with PIL as the original's torchvision ImageFolder
#   pipeline, RandomResizedCrop 224 + flip, validation Resize(256) + CenterCrop(224)
#   (../_base_/datasets/imagenet_bs32_pil.py).
# - Teacher: torchvision's V1 weights (the pair base).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sdd=dict(
            type='SDDLoss',
            levels=(1, 2, 4),
            region_loss=dict(
                type='SDDDKDLoss',
                alpha=1.0,
                beta=2.0,
                temperature=1.0,
                warmup_epochs=1,
                loss_weight=1.0))),
    student_loss_weight=1.0)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
sync_bn = 'torch'
