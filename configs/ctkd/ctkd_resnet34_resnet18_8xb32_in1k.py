# CTKD, ResNet-34 -> ResNet-18, ImageNet-1k (methods_logit.md section 9,
# scripts/run_imagenet_distill.sh `-r 1 -a 1`): KD weight 1, CE weight 1, lambda cosine
# 0 -> -1 over 5 epochs, total batch 256, lr 0.1, 120 epochs, x0.1 at 30/60/90, weight
# decay 1e-4. Its teacher is the CTKD release (73.96 top-1), not torchvision's ResNet-34
# of the pair base.
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(
        loss_ctkd=dict(
            type='CTKDLoss',
            t_start=1.0,
            t_end=20.0,
            init_theta=1.0,
            lambda_max=0.0,
            lambda_min=-1.0,
            lambda_epochs=5,
            loss_weight=1.0)),
    student_loss_weight=1.0)

# CTKD trains 120 epochs on ImageNet (the decays stay at 30/60/90).
train_cfg = dict(max_epochs=120)
