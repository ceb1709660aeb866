# ResNet-18 of ./resnet18_tap.py (TapResNet: the blocks' pre-ReLU outputs can be tapped)
# with the initialisation of ./resnet18_torchvision_init.py (torchvision's, as the
# ResNet-18 students of mdistiller and the official OFD code: no zero-initialised last
# BN per block, PyTorch's default Linear initialisation of the classifier).
_base_ = ['./resnet18_tap.py']
model = dict(
    backbone=dict(zero_init_residual=False),
    head=dict(init_cfg=None),
)
