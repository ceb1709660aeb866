"""MobileNetV2 in the ``pre / stage1-7 / conv1`` layout of weiaicunzai/pytorch-cifar100,
the model of Tf-KD's CIFAR-100 runs and of mdistiller's Tiny-ImageNet students."""
from typing import List, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices

# (output channels, blocks, stride of the first block, expansion) of stage1-7.
STAGE_SETTINGS = ((16, 1, 1, 1), (24, 2, 2, 6), (32, 3, 2, 6), (64, 4, 2, 6),
                  (96, 3, 1, 6), (160, 3, 1, 6), (320, 1, 1, 6))


class LinearBottleNeck(nn.Module):
    """Inverted residual: ``residual`` = 1x1 conv, BN, ReLU6, 3x3 depthwise, BN,
    ReLU6, 1x1 conv, BN (every conv with a bias, as the original), plus the input when
    the stride is 1 and the width is unchanged.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the depthwise conv.
        expansion: Width of the hidden layer relative to ``in_channels``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expansion: int) -> None:
        super().__init__()
        hidden = in_channels * expansion
        self.use_identity = stride == 1 and in_channels == out_channels
        self.residual = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(),
            nn.Conv2d(hidden, out_channels, 1),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.residual(x)
        return out + x if self.use_identity else out


@MODELS.register_module()
class StageMobileNetV2(CIFARBackbone):
    """MobileNetV2 as weiaicunzai/pytorch-cifar100 writes it.

    Sandler, Howard, Zhu, Zhmoginov, Chen. "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", CVPR 2018, in the form of
    ``yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:model/mobilenetv2.py``
    (Tf-KD's CIFAR-100 model), which
    ``megvii-research/mdistiller@a08d46f:mdistiller/models/cifar/mv2_tinyimagenet.py``
    repeats for Tiny-ImageNet. Module names match their checkpoints.

    Stem ``pre``: a 1x1 conv with padding 1 (the map grows by 2 pixels), BN, ReLU6;
    ``stage1-7`` (width 1, expansion 6 but 1 in ``stage1``; strides 2 in ``stage2-4``);
    ``conv1``: 1x1 conv to 1280, BN, ReLU6. The original pools globally and classifies
    with a 1x1 conv ``conv2`` (a Linear on the pooled vector: ``GlobalAveragePooling``
    and ``LinearClsHead`` here, whose ``head.fc`` the converter fills from ``conv2``).
    Every conv has a bias; PyTorch's default initialisation, as the original.

    Outputs (``out_indices``): 0 ``pre``, 1-7 ``stage1-7``, 8 ``conv1``. Distillation
    taps: ``feats`` = ``pre``, ``stage2``, ``stage3``, ``stage4``, ``conv1``, the five
    entries of mdistiller's ``feats``.

    Args:
        out_indices: Outputs (0-8) returned by ``forward``.
        init_cfg: MMEngine initialisation; None keeps PyTorch's defaults.
    """

    def __init__(self,
                 out_indices: OutIndices = (8, ),
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(len(STAGE_SETTINGS) + 2, out_indices, init_cfg)
        self.pre = nn.Sequential(
            nn.Conv2d(3, 32, 1, padding=1), nn.BatchNorm2d(32), nn.ReLU6())
        in_channels = 32
        for index, (channels, blocks, stride, expansion) in enumerate(STAGE_SETTINGS):
            units = [LinearBottleNeck(in_channels, channels, stride, expansion)]
            units += [
                LinearBottleNeck(channels, channels, 1, expansion)
                for _ in range(blocks - 1)
            ]
            # A single unit is the stage itself (stage1, stage7), as in the original.
            self.add_module(f'stage{index + 1}',
                            units[0] if blocks == 1 else nn.Sequential(*units))
            in_channels = channels
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, 1280, 1), nn.BatchNorm2d(1280), nn.ReLU6())
        self.distill_taps = {'feats': ('pre', 'stage2', 'stage3', 'stage4', 'conv1')}

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = [self.pre(x)]
        for index in range(len(STAGE_SETTINGS)):
            outs.append(getattr(self, f'stage{index + 1}')(outs[-1]))
        outs.append(self.conv1(outs[-1]))
        return self.select_outputs(outs)
