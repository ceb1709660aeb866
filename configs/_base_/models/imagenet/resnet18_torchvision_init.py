# ResNet-18 of ./resnet18.py initialised as torchvision's (and mdistiller's and the
# official OFD code's copies of it) when it is the student trained from scratch: convs
# N(0, 2 / fan_out) and BN weight 1 / bias 0 (MMPretrain's defaults already), but no zero
# initialisation of each block's last BN (MMPretrain's `zero_init_residual=True`) and
# PyTorch's default `nn.Linear` initialisation of the classifier instead of MMPretrain's
# Normal(std 0.01). Source: megvii-research/mdistiller@a08d46f:
# mdistiller/models/imagenet/resnet.py (`ResNet.__init__`), the students of mdistiller's
# ImageNet runs. The weights and outputs of a loaded checkpoint are unchanged.
_base_ = ['./resnet18.py']
model = dict(
    backbone=dict(zero_init_residual=False),
    head=dict(init_cfg=None),
)
