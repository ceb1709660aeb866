"""ShuffleNetV2 in the ``pre / stage2-4 / conv5`` layout of weiaicunzai/pytorch-cifar100,
the model of Tf-KD's CIFAR-100 runs."""
from typing import List, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.utils import channel_shuffle
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices

# Stage widths (stage2-4, conv5) per width ratio, as the original.
WIDTHS = {
    0.5: (48, 96, 192, 1024),
    1: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2: (244, 488, 976, 2048)
}
REPEATS = (3, 7, 3)


def _branch(in_channels: int, out_channels: int, stride: int,
            expand: bool) -> nn.Sequential:
    """[1x1 conv, BN, ReLU,] 3x3 depthwise (stride), BN, 1x1 conv, BN, ReLU; every conv
    with a bias."""
    layers = []
    if expand:
        layers += [
            nn.Conv2d(in_channels, in_channels, 1),
            nn.BatchNorm2d(in_channels),
            nn.ReLU()
        ]
    layers += [
        nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels),
        nn.BatchNorm2d(in_channels),
        nn.Conv2d(in_channels, out_channels, 1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]
    return nn.Sequential(*layers)


class ShuffleUnit(nn.Module):
    """One unit: two branches, concatenated (``shortcut`` first), then a channel
    shuffle of 2 groups.

    A unit that keeps stride and width splits its input in halves: ``shortcut`` is
    the identity on the first, ``residual`` transforms the second. Otherwise both
    branches read the whole input: ``residual`` (1x1 conv first) and ``shortcut``
    (depthwise first), each giving half of the output channels.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        stride: Stride of the depthwise convs.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.split = stride == 1 and in_channels == out_channels
        if self.split:
            half = in_channels // 2
            self.residual = _branch(half, half, stride, expand=True)
            self.shortcut = nn.Sequential()
        else:
            half = out_channels // 2
            self.residual = _branch(in_channels, half, stride, expand=True)
            self.shortcut = _branch(in_channels, half, stride, expand=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.split:
            shortcut, residual = x.chunk(2, dim=1)
        else:
            shortcut = residual = x
        out = torch.cat([self.shortcut(shortcut), self.residual(residual)], dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class StageShuffleNetV2(CIFARBackbone):
    """ShuffleNetV2 as weiaicunzai/pytorch-cifar100 writes it.

    Ma, Zhang, Zheng, Sun. "ShuffleNet V2: Practical Guidelines for Efficient CNN
    Architecture Design", ECCV 2018, in the form of
    ``yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:model/shufflenetv2.py``
    (Tf-KD's CIFAR-100 model; not the CRD zoo's ``ShuffleV2``). Module names match its
    checkpoints.

    Stem ``pre``: 3x3 conv (stride 1), BN, no activation; ``stage2-4``: a stride-2
    unit then 3 / 7 / 3 stride-1 units; ``conv5``: 1x1 conv, BN, ReLU. The original
    pools globally and classifies with ``fc`` (``GlobalAveragePooling`` and
    ``LinearClsHead`` here). Every conv has a bias; PyTorch's default initialisation,
    as the original.

    Outputs (``out_indices``): 0 ``pre``, 1-3 ``stage2-4``, 4 ``conv5``. Distillation
    taps: ``feats`` = ``pre``, ``stage2``, ``stage3``, ``stage4``.

    Args:
        ratio: Width ratio: 0.5, 1, 1.5 or 2.
        out_indices: Outputs (0-4) returned by ``forward``.
        init_cfg: MMEngine initialisation; None keeps PyTorch's defaults.
    """

    def __init__(self,
                 ratio: float = 1,
                 out_indices: OutIndices = (4, ),
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(len(REPEATS) + 2, out_indices, init_cfg)
        if ratio not in WIDTHS:
            raise ValueError(f'StageShuffleNetV2: ratio must be one of {list(WIDTHS)}, '
                             f'got {ratio!r}.')
        widths = WIDTHS[ratio]
        self.pre = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.BatchNorm2d(24))
        in_channels = 24
        for index, (channels, repeat) in enumerate(zip(widths, REPEATS)):
            units = [ShuffleUnit(in_channels, channels, 2)]
            units += [ShuffleUnit(channels, channels, 1) for _ in range(repeat)]
            self.add_module(f'stage{index + 2}', nn.Sequential(*units))
            in_channels = channels
        self.conv5 = nn.Sequential(
            nn.Conv2d(in_channels, widths[3], 1), nn.BatchNorm2d(widths[3]), nn.ReLU())
        self.out_channels = widths[3]
        self.distill_taps = {'feats': ('pre', 'stage2', 'stage3', 'stage4')}

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = [self.pre(x)]
        for index in range(len(REPEATS)):
            outs.append(getattr(self, f'stage{index + 2}')(outs[-1]))
        outs.append(self.conv5(outs[-1]))
        return self.select_outputs(outs)
