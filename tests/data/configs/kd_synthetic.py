# A tiny KD run on synthetic images, for the end-to-end tests (seconds on a CPU).
_base_ = ['../../../configs/_base_/default_runtime.py']

data_preprocessor = dict(num_classes=4, mean=[127.5] * 3, std=[64.0] * 3, to_rgb=False)


def _model(width):
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            stem_channels=width,
            base_channels=width,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=8 * width))


model = dict(
    type='ClassificationDistiller',
    student=_model(4),
    teacher=_model(8),
    distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
    student_loss_weight=0.1)

train_pipeline = [
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(
        type='SyntheticClsDataset',
        num_samples=32,
        num_classes=4,
        image_size=16,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(
        type='SyntheticClsDataset',
        num_samples=16,
        num_classes=4,
        image_size=16,
        test_mode=True,
        pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(
    type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[2], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(interval=1), checkpoint=dict(save_best=None))
randomness = dict(seed=0)
