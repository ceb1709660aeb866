# KD + DOT (Zhao, Song, Qiu, "DOT: A Distillation-Oriented Trainer", ICCV 2023), ResNet-50
# -> MobileNetV1, ImageNet-1k: KD (T 1, KD weight 0.5, CE weight 0.5) trained with
# DOTOptimWrapper (task / distillation momenta 0.9 -/+ 0.09). Cited 73.09:
# megvii-research/mdistiller@a08d46f:README.md, "DOT" ImageNet table (best epoch), run
# with megvii-research/mdistiller@a08d46f:tools/train.py and
# megvii-research/mdistiller@a08d46f:configs/imagenet/r50_mv1/dot.yaml: KD.TEMPERATURE 1,
# CE_WEIGHT 0.5, KD_WEIGHT 0.5, SOLVER.TRAINER dot, SOLVER.DOT.DELTA 0.09, MOMENTUM 0.9;
# SOLVER.BATCH_SIZE 512 (8 GPUs x 64, the GPU count of the maintainers in
# megvii-research/mdistiller#62), LR 0.2, weight decay 1e-4, 100 epochs, lr x0.1 after
# epochs 30/60/90 (the schedule base). Data: PIL decoding and resizing as
# megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py
# (imagenet_bs32_pil.py). The student keeps PyTorch's default initialisation, as
# megvii-research/mdistiller@a08d46f:mdistiller/models/imagenet/mobilenetv1.py. Teacher:
# torchvision's legacy resnet50-19c8e357.pth, the file mdistiller downloads (convert it as
# the pair base says).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    '../_base_/datasets/imagenet_bs32_pil.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

model = dict(
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=1.0, loss_weight=0.5)),
    student_loss_weight=0.5)

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(type='DOTOptimWrapper', delta=0.09, optimizer=dict(lr=0.2))
auto_scale_lr = dict(base_batch_size=512)
