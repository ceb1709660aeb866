# CIFAR-100 with two views per image (MLKD): a weak view (RandomCrop(32, pad 4) + flip)
# and a strong view (an independent crop + flip, then RandAugment with two of MLKD's
# operations at uniformly drawn magnitudes, then a Cutout of up to half the side filled
# with (125, 123, 114)). MLKD's strong transform is FixMatch's RandAugment; this uses
# MMPretrain's implementations of the same operations, whose magnitude ranges follow
# MMPretrain's conventions (e.g. brightness factors around 1 instead of in [0.05, 0.95]).
_base_ = ['./cifar100_bs64.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

fill = (125, 123, 114)
weak = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong_operations = [
    dict(type='AutoContrast'),
    dict(type='Brightness', magnitude_range=(0, 0.9)),
    dict(type='ColorTransform', magnitude_range=(0, 0.9)),
    dict(type='Contrast', magnitude_range=(0, 0.9)),
    dict(type='Equalize'),
    dict(type='Posterize', magnitude_range=(4, 8)),
    dict(type='Rotate', magnitude_range=(0, 30), pad_val=fill),
    dict(type='Sharpness', magnitude_range=(0, 0.9)),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal', pad_val=fill),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical', pad_val=fill),
    dict(type='Solarize', magnitude_range=(256, 0)),
    dict(
        type='Translate', magnitude_range=(0, 0.3), direction='horizontal', pad_val=fill),
    dict(type='Translate', magnitude_range=(0, 0.3), direction='vertical', pad_val=fill),
]
strong = weak + [
    dict(
        type='RandAugment',
        policies=strong_operations,
        num_policies=2,
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10),
    dict(
        type='Cutout',
        magnitude_range=(0, 16),
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10,
        pad_val=fill),
]
train_pipeline = [
    dict(type='MultiView', num_views=[1, 1], transforms=[weak, strong]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
