# CIFAR-100 as StreamLined trains every method of its table: the training set twice,
# once weak (RandomCrop(32, pad 4) + flip) and once strong (crop + flip +
# RandAugment(2, 10) + Cutout), concatenated and shuffled together: 100k samples per
# epoch, each image twice in independent batches (1563 iterations of 64).
# HyunJunSik/StreamLined@0e1ede7:CIFAR-100/Utils/train.py (load_dataset, RandAugment,
# augment_list), called by CIFAR-100/Utils/distillation_train.py (main). Its RandAugment
# is MLKD's with Posterize drawn from (0, 1): always 1 bit. Normalisation (data
# preprocessor) and the test set as cifar100_bs64.py.
_base_ = ['./cifar100_bs64.py']

weak_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
strong_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='MLKDRandAugment', posterize_range=(0, 1), channel_order='rgb'),
    dict(type='PackInputs'),
]
cifar100_train = dict(
    type='CIFAR100', data_root='data/cifar100', split='train', download=False)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(cifar100_train, pipeline=weak_pipeline),
            dict(cifar100_train, pipeline=strong_pipeline),
        ]))
