# ImageNet-1k as torchvision's ImageFolder pipeline of the original ImageNet code
# (megvii-research/mdistiller@a08d46f:mdistiller/dataset/imagenet.py,
# clovaai/overhaul-distillation@76344a8:ImageNet/train_with_distillation.py): JPEGs
# decoded with PIL and converted to RGB without applying the EXIF orientation (as
# torchvision's `pil_loader`), RandomResizedCrop(224) + flip for training, Resize(256) +
# CenterCrop(224) for validation, all resizing with PIL bilinear; 32 images per GPU.
# MMPretrain's imagenet_bs32_pil_resize.py resizes with PIL but decodes with OpenCV.
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py']

load_with_pil = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation')
train_pipeline = [
    load_with_pil,
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    load_with_pil,
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
