"""Wide ResNets of the CRD model zoo: wrn_16_1, wrn_16_2, wrn_40_1, wrn_40_2."""
from collections import OrderedDict
from typing import List, Optional, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices


class WideBasicBlock(nn.Module):
    """Pre-activation block: BN-ReLU-conv3x3-BN-ReLU-(dropout)-conv3x3, plus shortcut.

    When the channel count changes, the shortcut is a strided 1x1 conv
    (``convShortcut``, the original parameter name) applied to the pre-activated
    input; otherwise it is the raw input.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the first conv and of the shortcut conv.
        drop_rate: Dropout probability between the two convs.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        if in_channels == out_channels and stride != 1:
            raise ValueError('an identity shortcut cannot change the resolution.')
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU()
        self.dropout = nn.Dropout(drop_rate) if drop_rate > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.convShortcut: Optional[nn.Conv2d] = None  # noqa: N815 (checkpoint name)
        if in_channels != out_channels:
            self.convShortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        activated = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(activated)))
        out = self.conv2(self.dropout(out))
        shortcut = x if self.convShortcut is None else self.convShortcut(activated)
        return shortcut + out


@MODELS.register_module()
class CIFARWideResNet(CIFARBackbone):
    """Wide ResNet for 32x32 inputs.

    Zagoruyko, Komodakis. "Wide Residual Networks", BMVC 2016, in the form of the CRD
    model zoo: RepDistiller ``models/wrn.py`` and mdistiller
    ``mdistiller/models/cifar/wrn.py`` (``wrn_16_1/16_2/40_1/40_2``). Module names
    match those checkpoints (``conv1``, ``block{1,2,3}.layer.{i}``, ``bn1``).

    A 3x3 conv stem (no BN or ReLU), three groups of ``(depth - 4) / 6``
    pre-activation blocks with ``16w, 32w, 64w`` channels and strides 1, 2, 2, then a
    final BN + ReLU. The original average-pools with a fixed 8x8 kernel; on 32x32
    inputs that equals the ``GlobalAveragePooling`` neck.

    Outputs (``out_indices``): 0-2 are the raw outputs of ``block1-3`` (before any
    BN/ReLU), 3 is ``relu(bn1(block3 output))``, the map the classifier pools.

    Distillation taps, as mdistiller defines them for WRN: ``feats`` = ``conv1`` and
    the raw outputs of ``block1-3`` (they are not post-activation);
    ``preact_feats`` = ``conv1``, ``block2.layer.0.bn1``, ``block3.layer.0.bn1`` and
    ``bn1``, i.e. each stage output passed through the BN that precedes the next
    ReLU. These are the BNs OFD reads its margins from. Unlike mdistiller, which runs
    those three BNs a second time to build ``preact_feats`` (updating their running
    statistics twice per training step), the taps read their single regular call.

    Args:
        depth: 16, 22, 28, 40, ... (``depth - 4`` divisible by 6).
        widen_factor: Width multiplier ``w``.
        drop_rate: Dropout probability inside the blocks (0 in the CRD zoo).
        out_indices: Outputs (0-3) returned by ``forward``.
        init_cfg: Defaults to the original: convs N(0, 2 / (k^2 out_channels)),
            i.e. Kaiming-normal fan_out, and BN 1/0.
    """

    def __init__(
        self,
        depth: int = 40,
        widen_factor: int = 2,
        drop_rate: float = 0.0,
        out_indices: OutIndices = (3, ),
        init_cfg: Union[dict, List[dict], None] = [
            dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
            dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        super().__init__(4, out_indices, init_cfg)
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(
                f'CIFARWideResNet depth must be 6n+4 with n >= 1, got {depth}.')
        self.depth = depth
        self.widen_factor = widen_factor
        num_blocks = (depth - 4) // 6
        channels = (16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor)

        self.conv1 = nn.Conv2d(3, channels[0], 3, 1, 1, bias=False)
        for index, stride in enumerate((1, 2, 2)):
            in_channels, out_channels = channels[index], channels[index + 1]
            blocks = [WideBasicBlock(in_channels, out_channels, stride, drop_rate)]
            blocks += [
                WideBasicBlock(out_channels, out_channels, 1, drop_rate)
                for _ in range(num_blocks - 1)
            ]
            group = nn.Sequential(OrderedDict(layer=nn.Sequential(*blocks)))
            self.add_module(f'block{index + 1}', group)
        self.bn1 = nn.BatchNorm2d(channels[3])
        self.relu = nn.ReLU()

        self.distill_taps = {
            'feats': ('conv1', 'block1', 'block2', 'block3'),
            'preact_feats': ('conv1', 'block2.layer.0.bn1', 'block3.layer.0.bn1', 'bn1'),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for name in ('block1', 'block2', 'block3'):
            x = getattr(self, name)(x)
            outs.append(x)
        outs.append(self.relu(self.bn1(x)))
        return self.select_outputs(outs)
