"""ShuffleNetV2 of the CRD model zoo (``ShuffleV2``: net size 1, widths 116/232/464)."""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.utils import channel_shuffle
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices


class DownUnit(nn.Module):
    """Stride-2 unit: two branches, concatenated, then a channel shuffle (2 groups).

    Left: 3x3 depthwise (stride 2), BN, 1x1 conv, BN, ReLU (``conv1-2``). Right: 1x1
    conv, BN, ReLU, 3x3 depthwise (stride 2), BN, 1x1 conv, BN, ReLU (``conv3-5``).

    Args:
        in_channels: Input channels.
        out_channels: Output channels (half from each branch).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        mid_channels = out_channels // 2
        self.conv1 = nn.Conv2d(
            in_channels, in_channels, 3, 2, 1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid_channels)
        self.relu3 = nn.ReLU()
        self.conv4 = nn.Conv2d(
            mid_channels, mid_channels, 3, 2, 1, groups=mid_channels, bias=False)
        self.bn4 = nn.BatchNorm2d(mid_channels)
        self.conv5 = nn.Conv2d(mid_channels, mid_channels, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid_channels)
        self.relu5 = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        left = self.relu2(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = self.relu3(self.bn3(self.conv3(x)))
        right = self.relu5(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], dim=1), 2)


class SplitUnit(nn.Module):
    """Stride-1 unit: split the channels in two halves, transform the second half.

    The second half goes through 1x1 conv, BN, ReLU, 3x3 depthwise, BN, 1x1 conv, BN
    (``bn3``) and ``relu_out``; it is concatenated after the untouched first half and
    the result is channel-shuffled (2 groups).

    ``preact`` is an identity tap point: it receives the concatenation with the
    branch taken *before* ``relu_out`` and *before* the shuffle, which is what
    mdistiller returns as the pre-activation stage output (its channel order differs
    from the post-activation output's). Nothing downstream reads it.

    Args:
        channels: Input and output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.split = channels // 2
        branch = channels - self.split
        self.conv1 = nn.Conv2d(branch, branch, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(branch)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(branch, branch, 3, 1, 1, groups=branch, bias=False)
        self.bn2 = nn.BatchNorm2d(branch)
        self.conv3 = nn.Conv2d(branch, branch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(branch)
        self.relu_out = nn.ReLU()
        self.preact = nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        kept, branch = x[:, :self.split], x[:, self.split:]
        branch = self.relu1(self.bn1(self.conv1(branch)))
        branch = self.bn3(self.conv3(self.bn2(self.conv2(branch))))
        self.preact(torch.cat([kept, branch], dim=1))
        out = torch.cat([kept, self.relu_out(branch)], dim=1)
        return channel_shuffle(out, 2)


@MODELS.register_module()
class CIFARShuffleNetV2(CIFARBackbone):
    """ShuffleNetV2 for 32x32 inputs.

    Ma, Zhang, Zheng, Sun. "ShuffleNet V2: Practical Guidelines for Efficient CNN
    Architecture Design", ECCV 2018, in the form of the CRD model zoo: RepDistiller
    ``models/ShuffleNetv2.py`` and mdistiller ``mdistiller/models/cifar/ShuffleNetv2.py``
    (``ShuffleV2``, net size 1). Module names match those checkpoints (``conv1``,
    ``bn1``, ``layer{1,2,3}.0`` down units with ``conv1-5``, ``layer{k}.{i>0}`` split
    units with ``conv1-3``, ``conv2``, ``bn2``).

    Stem: 1x1 conv (3 -> 24, stride 1), BN, ReLU. Each stage is a stride-2 down unit
    followed by ``num_blocks`` split units. Then ``conv2`` (1x1), ``bn2``, ReLU. The
    original average-pools the final 4x4 map with a fixed kernel of 4, the
    ``GlobalAveragePooling`` neck on CIFAR, before its Linear ``linear``.

    Outputs (``out_indices``): 0-2 are the stage outputs, 3 the output of the final
    1x1 conv block (the map the classifier pools), as in MMPretrain's
    ``ShuffleNetV2``.

    Distillation taps: ``feats`` = stem ReLU and ``layer1-3``; ``preact_feats`` = stem
    ReLU and the ``preact`` tap of each stage's last split unit (see
    :class:`SplitUnit`; its BN before the ReLU is ``bn3``).

    Args:
        channels: Output channels of the three stages and of ``conv2``.
        num_blocks: Split units per stage (after its down unit).
        stem_channels: Output channels of the stem.
        out_indices: Outputs (0-3) returned by ``forward``.
        init_cfg: None: PyTorch's default initialisation, as the original.
    """

    def __init__(self,
                 channels: Sequence[int] = (116, 232, 464, 1024),
                 num_blocks: Sequence[int] = (3, 7, 3),
                 stem_channels: int = 24,
                 out_indices: OutIndices = (3, ),
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(len(num_blocks) + 1, out_indices, init_cfg)
        if len(channels) != len(num_blocks) + 1:
            raise ValueError('channels must list every stage and the final conv.')
        self.conv1 = nn.Conv2d(3, stem_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.relu = nn.ReLU()
        in_channels = stem_channels
        self.stage_names = []
        for stage, (out_channels, blocks) in enumerate(zip(channels, num_blocks)):
            units = [DownUnit(in_channels, out_channels)]
            units += [SplitUnit(out_channels) for _ in range(blocks)]
            name = f'layer{stage + 1}'
            self.add_module(name, nn.Sequential(*units))
            self.stage_names.append(name)
            in_channels = out_channels
        self.conv2 = nn.Conv2d(in_channels, channels[-1], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels[-1])
        self.relu2 = nn.ReLU()

        self.distill_taps = {
            'feats': ('relu', *self.stage_names),
            'preact_feats':
            ('relu', ) + tuple(f'{name}.{blocks}.preact'
                               for name, blocks in zip(self.stage_names, num_blocks)),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for name in self.stage_names:
            x = getattr(self, name)(x)
            outs.append(x)
        outs.append(self.relu2(self.bn2(self.conv2(x))))
        return self.select_outputs(outs)
