"""ShuffleNetV1 of the CRD model zoo (``ShuffleV1``: 3 groups, widths 240/480/960)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.utils import channel_shuffle
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices


class ShuffleUnit(nn.Module):
    """ShuffleNet unit: 1x1 group conv, channel shuffle, 3x3 depthwise, 1x1 group conv.

    Stride 1: the conv branch is added to the input. Stride 2: it is concatenated with
    a 3x3 average pool (stride 2, padding 1) of the input, so ``branch_channels`` is
    the stage width minus the input width. ``bn3`` is the BN before the final
    activation ``relu_out``, whose input is the pre-activation output.

    Args:
        in_channels: Input channels.
        branch_channels: Output channels of the conv branch (bottleneck = 1/4 of it).
        stride: 1 or 2.
        groups: Groups of the 1x1 convs.
        squeeze_groups: Groups of the first 1x1 conv and of the shuffle after it
            (1 for the unit that reads the stem, ``groups`` otherwise).
    """

    def __init__(self, in_channels: int, branch_channels: int, stride: int, groups: int,
                 squeeze_groups: int) -> None:
        super().__init__()
        mid_channels = branch_channels // 4
        self.stride = stride
        self.squeeze_groups = squeeze_groups
        self.conv1 = nn.Conv2d(
            in_channels, mid_channels, 1, groups=squeeze_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(
            mid_channels, mid_channels, 3, stride, 1, groups=mid_channels, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(
            mid_channels, branch_channels, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch_channels)
        self.shortcut: Optional[nn.AvgPool2d] = nn.AvgPool2d(3, 2,
                                                             1) if stride == 2 else None
        self.relu_out = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = channel_shuffle(out, self.squeeze_groups)
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.shortcut is None:
            out = out + x
        else:
            out = torch.cat([out, self.shortcut(x)], dim=1)
        return self.relu_out(out)


@MODELS.register_module()
class CIFARShuffleNetV1(CIFARBackbone):
    """ShuffleNetV1 for 32x32 inputs.

    Zhang, Zhou, Lin, Sun. "ShuffleNet: An Extremely Efficient Convolutional Neural
    Network for Mobile Devices", CVPR 2018, in the form of the CRD model zoo:
    RepDistiller ``models/ShuffleNetv1.py`` and mdistiller
    ``mdistiller/models/cifar/ShuffleNetv1.py`` (``ShuffleV1``). Module names match
    those checkpoints (``conv1``, ``bn1``, ``layer{1,2,3}.{i}.{conv,bn}{1,2,3}``).

    Stem: 1x1 conv (3 -> 24, stride 1), BN, ReLU. Three stages whose first unit has
    stride 2. The original average-pools the final 4x4 map with a fixed kernel of 4,
    the ``GlobalAveragePooling`` neck on CIFAR, before its Linear ``linear``.

    Outputs (``out_indices``) are the stage outputs 0-2. Distillation taps:
    ``feats`` = stem ReLU and ``layer1-3``; ``preact_feats`` = stem ReLU and the input
    of the last unit's ``relu_out`` (its BN before the ReLU is ``bn3``).

    Args:
        stage_channels: Output channels of the three stages.
        num_blocks: Units per stage.
        groups: Groups of the 1x1 group convs.
        stem_channels: Output channels of the stem.
        out_indices: Stage outputs (0-2) returned by ``forward``.
        init_cfg: None: PyTorch's default initialisation, as the original.
    """

    def __init__(self,
                 stage_channels: Sequence[int] = (240, 480, 960),
                 num_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 stem_channels: int = 24,
                 out_indices: OutIndices = (2, ),
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(len(stage_channels), out_indices, init_cfg)
        if len(num_blocks) != len(stage_channels):
            raise ValueError('stage_channels and num_blocks must have the same length.')
        self.conv1 = nn.Conv2d(3, stem_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.relu = nn.ReLU()
        in_channels = stem_channels
        self.stage_names = []
        for stage, (out_channels, blocks) in enumerate(zip(stage_channels, num_blocks)):
            units = []
            for index in range(blocks):
                stride = 2 if index == 0 else 1
                branch_channels = (
                    out_channels - in_channels if index == 0 else out_channels)
                squeeze_groups = 1 if stage == index == 0 else groups
                units.append(
                    ShuffleUnit(in_channels, branch_channels, stride, groups,
                                squeeze_groups))
                in_channels = out_channels
            name = f'layer{stage + 1}'
            self.add_module(name, nn.Sequential(*units))
            self.stage_names.append(name)

        self.distill_taps = {
            'feats': ('relu', *self.stage_names),
            'preact_feats':
            ('relu', ) + tuple(f'{name}.{blocks - 1}.relu_out:input'
                               for name, blocks in zip(self.stage_names, num_blocks)),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for name in self.stage_names:
            x = getattr(self, name)(x)
            outs.append(x)
        return self.select_outputs(outs)
