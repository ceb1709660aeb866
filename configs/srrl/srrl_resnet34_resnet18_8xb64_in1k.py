# SRRL (Yang, Martinez, Bulat, Tzimiropoulos, "Knowledge Distillation via Softmax
# Regression Representation Learning", ICLR 2021, openreview ZzwDy_wiWv), ResNet-34 ->
# ResNet-18, ImageNet-1k. Cited 71.73 top-1, as later comparison tables quote the paper
# (the paper's table was not checked: unverified). The code that produced it,
# jingyang2017/KD_SRRL@d2e802f5f57efd4f5bc6326a697b48236008a5b6:
# train_imagenet_distillation.py (`--net_s resnet18S --net_t resnet34T`, its README), sets
# what this config repeats:
# - the student's last map through a 1x1 conv-BN-ReLU connector to the teacher's width,
#   statm_loss (feature MSE) at weight 1 plus MSE between the teacher's frozen classifier
#   on the student's pooled feature and the teacher's logits (`--weight` 1), CE 1;
# - batch 512 (`--batch_size`, one DataParallel process: 8 x 64 here), SGD lr 0.2
#   (`--lr`), momentum 0.9, weight decay 1e-4 on the student and the connector, 100
#   epochs, x0.1 at epochs 30/60/90 counted from 0 (`lr_step_policy`, utils/utils.py);
# - torchvision's ResNet-34 (resnet34-333f7ec4.pth, models/official_resnet.py
#   `resnet34T`) in eval mode under no_grad (the pair base);
# - a torchvision-initialised ResNet-18 student (models/official_resnet.py:
#   zero_init_residual False, PyTorch's default Linear init;
#   resnet18_torchvision_init.py);
# - torchvision's ImageFolder pipeline, RandomResizedCrop(224) + flip, Resize(256) +
#   CenterCrop(224) (dataset/imagenet.py; imagenet_bs32_pil.py);
# - the best top-1 over the epochs (`best_top1`; save_best='auto').
_base_ = [
    '../_base_/pairs/resnet34_resnet18_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    student='{{ fileDirname }}/../_base_/models/imagenet/resnet18_torchvision_init.py',
    student_taps=dict(feats=['backbone.layer4']),
    distill_losses=dict(
        loss_srrl=dict(
            type='SRRLLoss',
            student_channels=512,
            teacher_channels=512,
            fm_weight=1.0,
            sr_weight=1.0)),
    student_loss_weight=1.0)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
