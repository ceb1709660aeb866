"""CIFAR ResNets of the CRD model zoo: resnet8 ... resnet110, resnet8x4, resnet32x4."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices


class CIFARBasicBlock(nn.Module):
    """Post-activation basic block: conv3x3-BN-ReLU-conv3x3-BN, add shortcut, ReLU.

    The shortcut is a strided 1x1 conv + BN (``downsample.0/1``) whenever the stride
    or the channel count changes, the identity otherwise. ``bn2`` is the BN right
    before the final activation ``relu_out``, whose input is the pre-activation
    output of the block.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the first conv and of the shortcut.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample: Optional[nn.Sequential] = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.relu_out = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu_out(out + identity)


@MODELS.register_module()
class CIFARResNet(CIFARBackbone):
    """ResNet for 32x32 inputs with three stages of basic blocks.

    He, Zhang, Ren, Sun. "Deep Residual Learning for Image Recognition", CVPR 2016
    (the CIFAR networks of its Sec. 4.2, with projection shortcuts), in the form used
    by the CRD model zoo: RepDistiller ``models/resnet.py`` and mdistiller
    ``mdistiller/models/cifar/resnet.py`` (``resnet8/14/20/32/44/56/110``,
    ``resnet8x4``, ``resnet32x4``). Module names match those checkpoints.

    Stem conv3x3-BN-ReLU, then ``layer1-3`` of ``(depth - 2) / 6`` blocks with
    strides 1, 2, 2. The original classifier average-pools with a fixed 8x8 kernel;
    on 32x32 inputs that equals the ``GlobalAveragePooling`` neck.

    Distillation taps: ``feats`` = stem ReLU and the output of ``layer1-3``;
    ``preact_feats`` = stem ReLU and the input of the last block's ``relu_out``
    (its BN before that ReLU is ``bn2``).

    Args:
        depth: 8, 14, 20, 32, 44, 56, 110, ... (``depth - 2`` divisible by 6).
        channels: Output channels of the stem and of the three stages:
            ``(16, 16, 32, 64)`` for the plain models, ``(32, 64, 128, 256)`` for the
            ``x4`` models.
        out_indices: Stage outputs (0-2) returned by ``forward``.
        init_cfg: Defaults to the original: Kaiming-normal (fan_out) convs, BN 1/0.
    """

    def __init__(
        self,
        depth: int = 32,
        channels: Sequence[int] = (16, 16, 32, 64),
        out_indices: OutIndices = (2, ),
        init_cfg: Union[dict, List[dict], None] = [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
            dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        super().__init__(3, out_indices, init_cfg)
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f'CIFARResNet depth must be 6n+2 with n >= 1, got {depth}.')
        if len(channels) != 4:
            raise ValueError(f'channels must list the stem and 3 stages, got {channels}.')
        self.depth = depth
        self.channels = tuple(channels)
        num_blocks = (depth - 2) // 6

        self.conv1 = nn.Conv2d(3, channels[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        self.relu = nn.ReLU()
        in_channels = channels[0]
        for index, (out_channels, stride) in enumerate(zip(channels[1:], (1, 2, 2))):
            blocks = [CIFARBasicBlock(in_channels, out_channels, stride)]
            blocks += [
                CIFARBasicBlock(out_channels, out_channels) for _ in range(num_blocks - 1)
            ]
            self.add_module(f'layer{index + 1}', nn.Sequential(*blocks))
            in_channels = out_channels

        last = num_blocks - 1
        self.distill_taps = {
            'feats': ('relu', 'layer1', 'layer2', 'layer3'),
            'preact_feats':
            ('relu', ) + tuple(f'layer{i}.{last}.relu_out:input' for i in (1, 2, 3)),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for name in ('layer1', 'layer2', 'layer3'):
            x = getattr(self, name)(x)
            outs.append(x)
        return self.select_outputs(outs)
