# SD-DKD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md section 10, SDD's run.sh):
# pyramid levels [1, 2], DKD with T 1, alpha 1, beta 0.5, warm-up 1 epoch, CE weight 1; 8
# GPUs x 64 images, lr 0.2 (mdistiller's ImageNet recipe; SDD's run.sh used batch 256).
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_sdd=dict(
            type='SDDLoss',
            levels=(1, 2),
            region_loss=dict(
                type='SDDDKDLoss',
                alpha=1.0,
                beta=0.5,
                temperature=1.0,
                warmup_epochs=1,
                loss_weight=1.0))),
    student_loss_weight=1.0)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
