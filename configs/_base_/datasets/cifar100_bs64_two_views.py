# CIFAR-100 with two views per image, MLKD's training set: a weak view (RandomCrop(32,
# pad 4) + flip) and a strong view (an independent crop + flip, then MLKDRandAugment:
# two of 14 PIL operations, Identity included, drawn with replacement and both applied,
# then an always-applied Cutout filled with (125, 123, 114)). Normalisation follows in
# the data preprocessor, as the original's ToTensor + Normalize after the augmentation.
# Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:mdistiller/dataset/cifar100.py
# (get_cifar100_train_transform_strong, RandAugment(2, 10), augment_list, Cutout);
# kd_plugin/datasets/transforms/mlkd_randaugment.py lists the operations and ranges.
_base_ = ['./cifar100_bs64.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

weak = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong = weak + [dict(type='MLKDRandAugment', channel_order='rgb')]
train_pipeline = [
    dict(type='MultiView', num_views=[1, 1], transforms=[weak, strong]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
