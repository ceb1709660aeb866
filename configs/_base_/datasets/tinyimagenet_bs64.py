# Tiny-ImageNet-200 (200 classes, 64x64) as ER-KD trains on it (cpsu00/ER-KD,
# ER-FCFD/classification/data_loader.py: get_tin_train_loader / get_tin_test_loader;
# batch 64 in experiments/tin/train_lr0.05.sh): RandomCrop(64, padding=8) + horizontal
# flip for training, the image as is for testing, torchvision's ImageNet mean/std.
# ER-KD labels classes in sorted-wnid order (torchvision ImageFolder): set
# sort_classes=True in both datasets to use teacher checkpoints trained by it.
dataset_type = 'TinyImageNet'
data_preprocessor = dict(
    num_classes=200,
    # ImageNet channel statistics (RGB, 0-255 scale).
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    # LoadImageFromFile decodes to BGR.
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=64, padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/tiny-imagenet-200',
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/tiny-imagenet-200',
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
