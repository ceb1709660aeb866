"""MobileNetV2 of the CRD model zoo (``MobileNetV2`` = ``mobile_half``)."""
from typing import List, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices

# (expansion, output channels before widening, blocks, stride of the first block);
# ``None`` stands for the backbone's ``expand_ratio``.
GROUP_SETTINGS = ((1, 16, 1, 1), (None, 24, 2, 1), (None, 32, 3, 2), (None, 64, 4, 2),
                  (None, 96, 3, 1), (None, 160, 3, 2), (None, 320, 1, 1))


def conv_bn_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1) -> nn.Sequential:
    """Conv (no bias), BN, ReLU as ``Sequential`` indices 0, 1, 2."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU())


class InvertedResidual(nn.Module):
    """Inverted residual with linear bottleneck: 1x1 expand, 3x3 depthwise, 1x1 project.

    ``conv`` holds conv/BN/ReLU at indices 0-2 (expansion), 3-5 (depthwise) and
    conv/BN at 6-7 (projection, no activation). Unlike torchvision, the expansion conv
    is kept when ``expand_ratio`` is 1. The input is added when the stride is 1 and
    the channel count is unchanged.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the depthwise conv.
        expand_ratio: Width of the hidden layer relative to ``in_channels``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


@MODELS.register_module()
class CIFARMobileNetV2(CIFARBackbone):
    """MobileNetV2 for 32x32 inputs.

    Sandler, Howard, Zhu, Zhmoginov, Chen. "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", CVPR 2018, in the form of the CRD model zoo: RepDistiller
    ``models/mobilenetv2.py`` and mdistiller ``mdistiller/models/cifar/mobilenetv2.py``
    (``MobileNetV2`` is their ``mobile_half``: expansion 6, width 0.5). Module names
    match those checkpoints (``conv1.{0,1}``, ``blocks.{g}.{i}.conv.{j}``,
    ``conv2.{0,1}``).

    Stem ``conv1``: 3x3 conv with stride 2, BN, ReLU. Seven groups ``blocks.0-6``,
    then ``conv2``: 1x1 conv to 1280 channels (more when widened above 1), BN, ReLU.
    The original average-pools the final 2x2 map (kernel ``input_size // 16``, ceil
    mode), the ``GlobalAveragePooling`` neck on CIFAR; its classifier
    ``classifier.0`` is a single Linear.

    Outputs (``out_indices``): 0-6 are the outputs of ``blocks.0-6``, 7 that of
    ``conv2`` (the map the classifier pools), as in MMPretrain's ``MobileNetV2``.

    Distillation taps: ``feats`` = ``conv1``, ``blocks.1``, ``blocks.2``,
    ``blocks.4``, ``blocks.6`` (mdistiller's five entries; the block outputs are
    linear bottlenecks, not post-ReLU). mdistiller has no ``preact_feats`` for this
    model; here ``preact_feats`` names the same modules, because no ReLU follows those
    outputs (the stem entry is post-ReLU, as for every other architecture). The BN
    that ends each tapped group is ``blocks.{g}.{last}.conv.7``.

    Args:
        expand_ratio: Expansion of the groups 1-6 (group 0 always uses 1).
        widen_factor: Channel multiplier of the stem and the groups.
        out_indices: Outputs (0-7) returned by ``forward``.
        init_cfg: Defaults to the original: Kaiming-normal (fan_out) convs, BN 1/0.
    """

    def __init__(
        self,
        expand_ratio: int = 6,
        widen_factor: float = 0.5,
        out_indices: OutIndices = (7, ),
        init_cfg: Union[dict, List[dict], None] = [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
            dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        super().__init__(8, out_indices, init_cfg)
        self.expand_ratio = expand_ratio
        self.widen_factor = widen_factor
        in_channels = int(32 * widen_factor)
        self.conv1 = conv_bn_relu(3, in_channels, 3, stride=2)
        groups = []
        for ratio, channels, num_blocks, stride in GROUP_SETTINGS:
            ratio = expand_ratio if ratio is None else ratio
            out_channels = int(channels * widen_factor)
            blocks = []
            for index in range(num_blocks):
                blocks.append(
                    InvertedResidual(in_channels, out_channels,
                                     stride if index == 0 else 1, ratio))
                in_channels = out_channels
            groups.append(nn.Sequential(*blocks))
        self.blocks = nn.ModuleList(groups)
        self.out_channels = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.conv2 = conv_bn_relu(in_channels, self.out_channels, 1)

        taps = ('conv1', 'blocks.1', 'blocks.2', 'blocks.4', 'blocks.6')
        self.distill_taps = {'feats': taps, 'preact_feats': taps}

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for group in self.blocks:
            x = group(x)
            outs.append(x)
        outs.append(self.conv2(x))
        return self.select_outputs(outs)
