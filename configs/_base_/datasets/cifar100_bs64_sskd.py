# CIFAR-100 as SSKD trains on it: each training image once flipped (p 0.5), then
# rotated by 0, 90, 180 and 270 degrees (np.rot90), each rotation with its own
# RandomCrop(32, padding 4), normalised with SSKD's (0.5071, 0.4866, 0.4409) /
# (0.2675, 0.2565, 0.2761) (x 255 here); the four views are samples of one batch,
# image by image (ViewsAsSamplesDataPreprocessor), as SSKD's x.view(-1, c, h, w):
# xuguodong03/SSKD@661b972:cifar.py (CIFAR10.__getitem__), student.py L74-88 and
# L233-241. Batch 64 images (256 views). Validation: the upright test images alone.
_base_ = ['./cifar100_bs64.py']

data_preprocessor = dict(
    type='ViewsAsSamplesDataPreprocessor',
    mean=[129.3105, 124.083, 112.4295],
    std=[68.2125, 65.4075, 70.4055])

train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='MultiView',
        num_views=[1, 1, 1, 1],
        transforms=[
            [dict(type='Rot90', k=0),
             dict(type='RandomCrop', crop_size=32, padding=4)],
            [dict(type='Rot90', k=1),
             dict(type='RandomCrop', crop_size=32, padding=4)],
            [dict(type='Rot90', k=2),
             dict(type='RandomCrop', crop_size=32, padding=4)],
            [dict(type='Rot90', k=3),
             dict(type='RandomCrop', crop_size=32, padding=4)],
        ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
