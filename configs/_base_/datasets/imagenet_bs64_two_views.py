# ImageNet-1k with two views per image, MLKD's training set: a weak view
# (RandomResizedCrop 224 + flip) and a strong view (an independent crop + flip, then
# MLKDRandAugment, the same code as on CIFAR-100: two of 14 PIL operations, both
# applied, translations up to 0.3 x 224 px, then an always-applied Cutout of side
# U(0, 0.5) x 224 filled with (125, 123, 114)).
# Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:mdistiller/dataset/imagenet.py
# (ImageFolder, get_imagenet_train_transform_strong, RandAugment(2, 10), augment_list,
# Cutout). Decoding and resizing with PIL as torchvision's ImageFolder, validation
# Resize(256) + CenterCrop(224) (./imagenet_bs32_pil.py). LoadImageFromFile gives BGR
# arrays (the data preprocessor's to_rgb=True converts them); MLKDRandAugment works on
# the RGB image, as the original's PIL image.
_base_ = ['./imagenet_bs32_pil.py']

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

weak = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
strong = weak + [dict(type='MLKDRandAugment', channel_order='bgr')]
train_pipeline = [
    dict(
        type='LoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation'),
    dict(type='MultiView', num_views=[1, 1], transforms=[weak, strong]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
