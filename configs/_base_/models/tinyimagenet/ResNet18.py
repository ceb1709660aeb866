# ResNet18 of mdistiller's Tiny-ImageNet runs, 200 classes
# (megvii-research/mdistiller@a08d46f:mdistiller/models/cifar/resnetv2.py `ResNet18`, the
# teacher of configs/tiny_imagenet/dot/*.yaml): 3x3 stride-1 stem, no max-pool, global
# average pooling (an 8x8 map on 64x64 inputs), i.e. MMPretrain's ResNet_CIFAR(depth=18)
# with the original's initialisation (Kaiming-normal fan_out convs, BN 1/0, no
# zero-initialised last BN). Convert its checkpoint (`ti_res18`) with
# tools/model_converters/tinyimagenet_to_mmpretrain.py SRC DST --arch ResNet18
_base_ = ['../tfkd/ResNet18.py']
model = dict(
    backbone=dict(init_cfg=[
        dict(type='Kaiming', layer=['Conv2d']),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
    ]),
    head=dict(num_classes=200))
