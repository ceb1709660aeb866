# ImageNet-1k with two views per image (MLKD): a weak view (RandomResizedCrop 224 +
# flip) and a strong view (an independent crop + flip, then RandAugment with two
# operations at uniformly drawn magnitudes and a Cutout of up to half the side), as
# MLKD's get_imagenet_train_transform_strong, with MMPretrain's implementations of the
# operations (see cifar100_bs64_two_views.py for the differences in magnitude ranges).
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs32.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

fill = (124, 116, 104)
weak = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong = weak + [
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10,
        hparams=dict(pad_val=fill)),
    dict(
        type='Cutout',
        magnitude_range=(0, 112),
        magnitude_level=10,
        magnitude_std='inf',
        total_level=10,
        pad_val=fill),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[weak, strong]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
