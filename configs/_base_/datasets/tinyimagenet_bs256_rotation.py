# Tiny-ImageNet-200 as mdistiller trains on it (megvii-research/mdistiller@a08d46f:
# mdistiller/dataset/tiny_imagenet.py, get_tinyimagenet_dataloader): RandomRotation(20)
# (uniform in [-20, 20] degrees, nearest, black fill, torchvision's on the PIL image) then
# a horizontal flip; the test images as they are; Tiny-ImageNet's own mean/std (0.4802,
# 0.4481, 0.3975) / (0.2302, 0.2265, 0.2262). Classes in sorted-wnid order (its
# ImageFolder on train/ and on a val/ regrouped by class), so sort_classes=True.
# SOLVER.BATCH_SIZE 256 of its configs/tiny_imagenet/dot/*.yaml; test batch 64
# (DATASET.TEST.BATCH_SIZE, mdistiller/engine/cfg.py).
dataset_type = 'TinyImageNet'
data_preprocessor = dict(
    num_classes=200,
    # (0.4802, 0.4481, 0.3975) / (0.2302, 0.2265, 0.2262) on the 0-255 scale (x 255).
    mean=[122.451, 114.2655, 101.3625],
    std=[58.701, 57.7575, 57.681],
    # LoadImageFromFile decodes to BGR.
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='torchvision/RandomRotation', degrees=20),
    dict(type='PILToNumpy', to_bgr=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root='data/tiny-imagenet-200',
        split='train',
        sort_classes=True,
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
        sort_classes=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
