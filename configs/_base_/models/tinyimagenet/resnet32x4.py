# `resnet32x4` of the CRD zoo (../cifar/resnet32x4.py) with 200 classes, as ER-KD trains
# it on Tiny-ImageNet
# (cpsu00/ER-KD@42aa4f1:mdistiller/mdistiller/models/tinyimagenet200/resnet.py: the CIFAR
# model with global average pooling, 16x16 maps on 64x64 inputs). Convert its checkpoints
# with tools/model_converters/tinyimagenet_to_mmpretrain.py --arch resnet32x4
_base_ = ['../cifar/resnet32x4.py']
model = dict(head=dict(num_classes=200))
