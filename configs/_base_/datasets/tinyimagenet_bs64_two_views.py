# Tiny-ImageNet with two views per image, ER-KD's training set for ER-MLD
# (cpsu00/ER-KD@42aa4f1:mdistiller/mdistiller/dataset/tinyimagenet200.py,
# get_tinyimagenet200_train_transform_strong): a weak view (RandomCrop(64, pad 8) + flip)
# and a strong view (an independent crop + flip, then RandAugment(2, 10) and Cutout: the
# same operations as MLKD's, MLKDRandAugment on the BGR image LoadImageFromFile decodes).
# Classes in sorted-wnid order (ER-KD reads the folders with ImageFolder).
_base_ = ['./tinyimagenet_bs64.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

weak = [
    dict(type='RandomCrop', crop_size=64, padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong = weak + [dict(type='MLKDRandAugment', channel_order='bgr')]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[weak, strong]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(sort_classes=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(sort_classes=True))
test_dataloader = dict(dataset=dict(sort_classes=True))
