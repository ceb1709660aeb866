"""VGG with BN of the CRD model zoo: vgg8, vgg11, vgg13, vgg16, vgg19."""
from typing import Dict, List, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices

# Output channels of the 3x3 convs of the five groups (VGG paper configs A, B, D, E
# and the zoo's shallow "S" config for vgg8).
VGG_GROUPS: Dict[int, Tuple[Tuple[int, ...], ...]] = {
    8: ((64, ), (128, ), (256, ), (512, ), (512, )),
    11: ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
    13: ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    16: ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    19: ((64, 64), (128, 128), (256, ) * 4, (512, ) * 4, (512, ) * 4),
}


def make_group(in_channels: int, channels: Tuple[int, ...]) -> nn.Sequential:
    """(conv3x3 with bias, BN, ReLU) per entry, without the group's last ReLU.

    Conv ``j`` sits at index ``3j`` and its BN at ``3j + 1``, the original layout.
    """
    layers: List[nn.Module] = []
    for out_channels in channels:
        layers += [
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU()
        ]
        in_channels = out_channels
    return nn.Sequential(*layers[:-1])


@MODELS.register_module()
class CIFARVGG(CIFARBackbone):
    """VGG with batch normalisation for 32x32 inputs.

    Simonyan, Zisserman. "Very Deep Convolutional Networks for Large-Scale Image
    Recognition", ICLR 2015, in the form of the CRD model zoo: RepDistiller
    ``models/vgg.py`` and mdistiller ``mdistiller/models/cifar/vgg.py``
    (``vgg8/11/13/16/19``, the ``*_bn`` constructors). Module names match those
    checkpoints (``block{k}.{3j}`` = conv ``j`` of group ``k``, ``block{k}.{3j+1}`` its
    BN).

    Five conv groups; 2x2 max-pools ``pool0-2`` run between groups 0-3. ``pool3``
    (between groups 3 and 4) runs only for 64x64 inputs, as in the original: on
    CIFAR, groups 3 and 4 both work at 4x4. The final ReLU of group ``k`` is the
    module ``relu{k}``. The original classifier is a single Linear after an
    adaptive 1x1 average pool, i.e. the ``GlobalAveragePooling`` neck and
    ``LinearClsHead``.

    Outputs (``out_indices``) and distillation taps: ``feats`` = output of
    ``relu0-4`` (the five post-ReLU group outputs, the first being the stem entry);
    ``preact_feats`` = output of ``relu0`` (mdistiller repeats the post-ReLU stem),
    then the inputs of ``relu1-4``. The BN before each of those ReLUs is the last
    BN of its group.

    Args:
        depth: 8, 11, 13, 16 or 19.
        out_indices: Group outputs (0-4) returned by ``forward``.
        init_cfg: Defaults to the original: Kaiming-normal (fan_out) conv weights
            with zero bias, BN 1/0.
    """

    def __init__(
        self,
        depth: int = 13,
        out_indices: OutIndices = (4, ),
        init_cfg: Union[dict, List[dict], None] = [
            dict(
                type='Kaiming',
                layer='Conv2d',
                mode='fan_out',
                nonlinearity='relu',
                bias=0),
            dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
        ]
    ) -> None:
        super().__init__(5, out_indices, init_cfg)
        if depth not in VGG_GROUPS:
            raise ValueError(f'CIFARVGG depth must be one of {sorted(VGG_GROUPS)}, '
                             f'got {depth}.')
        self.depth = depth
        in_channels = 3
        for index, channels in enumerate(VGG_GROUPS[depth]):
            self.add_module(f'block{index}', make_group(in_channels, channels))
            self.add_module(f'relu{index}', nn.ReLU())
            in_channels = channels[-1]
        for index in range(4):
            self.add_module(f'pool{index}', nn.MaxPool2d(2, 2))

        self.distill_taps = {
            'feats':
            tuple(f'relu{index}' for index in range(5)),
            'preact_feats':
            ('relu0', ) + tuple(f'relu{index}:input' for index in range(1, 5)),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        pool3 = x.shape[2] == 64
        outs = []
        for index in range(5):
            if index in (1, 2, 3) or (index == 4 and pool3):
                x = getattr(self, f'pool{index - 1}')(x)
            x = getattr(self, f'relu{index}')(getattr(self, f'block{index}')(x))
            outs.append(x)
        return self.select_outputs(outs)
