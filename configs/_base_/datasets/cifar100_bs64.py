# CIFAR-100 as in RepDistiller/mdistiller: batch 64, RandomCrop(32, pad 4) + flip.
dataset_type = 'CIFAR100'
data_preprocessor = dict(
    num_classes=100,
    # The originals' Normalize((0.5071, 0.4867, 0.4408), (0.2675, 0.2565, 0.2761)) on 0-1
    # images, here on the 0-255 scale (x 255): HobbitLong/RepDistiller@b84f547:
    # dataset/cifar100.py, megvii-research/mdistiller@a08d46f:
    # mdistiller/dataset/cifar100.py. The CIFAR teachers were trained with them.
    mean=[129.3105, 124.1085, 112.404],
    std=[68.2125, 65.4075, 70.4055],
    # CIFAR images are stored RGB already.
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/cifar100',
        split='train',
        # Never fetch data behind the user's back (offline clusters): a missing
        # data/cifar100/cifar-100-python/ fails at once, naming the path. Set
        # download=True to let MMPretrain fetch CIFAR-100.
        download=False,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root='data/cifar100',
        split='test',
        download=False,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
