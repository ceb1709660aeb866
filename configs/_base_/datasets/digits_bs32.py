# scikit-learn's bundled handwritten digits (real data, shipped with the package):
# 500 training images, 1297 test images, upscaled from 8x8 to 16x16.
dataset_type = 'DigitsDataset'
data_preprocessor = dict(num_classes=10, mean=[64.0] * 3, std=[96.0] * 3, to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
# serialize_data=False below: the images are few and small, and MMEngine's serialisation
# (a gc.collect per dataset) would cost more than it saves.

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='train',
        num_train=500,
        image_size=16,
        pipeline=train_pipeline,
        serialize_data=False),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        split='test',
        num_train=500,
        image_size=16,
        pipeline=test_pipeline,
        serialize_data=False),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(
    type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
