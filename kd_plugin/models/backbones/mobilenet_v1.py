"""MobileNetV1 for ImageNet, the student of the ResNet-50 -> MobileNet pairs."""
from typing import List, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .cifar_base import CIFARBackbone, OutIndices

# (output channels, stride) of the 13 depthwise-separable blocks ``model.1-13``.
BLOCK_SETTINGS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                  (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
STEM_CHANNELS = 32
# Layers whose outputs are the source's four features (56, 28, 14 and 7 px at 224).
FEATURE_LAYERS = (3, 5, 11, 13)


def conv_bn_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 groups: int = 1) -> List[nn.Module]:
    """Conv (no bias, 'same' padding), BN, ReLU (not in-place), as a list of modules."""
    return [
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


def depthwise_separable(in_channels: int, out_channels: int,
                        stride: int) -> nn.Sequential:
    """3x3 depthwise conv-BN-ReLU (indices 0-2), 1x1 pointwise conv-BN-ReLU (3-5)."""
    return nn.Sequential(
        *conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels),
        *conv_bn_relu(in_channels, out_channels, 1))


@MODELS.register_module()
class MobileNetV1(CIFARBackbone):
    """MobileNetV1 (width 1.0) for 224x224 inputs.

    Howard et al. "MobileNets: Efficient Convolutional Neural Networks for Mobile
    Vision Applications", arXiv:1704.04861 (Table 1; 4.2 M parameters with the 1000-way
    classifier, Table 8), in the form of the ResNet-50 -> MobileNet pairs of mdistiller
    and ReviewKD: megvii-research/mdistiller@a08d46f:
    ``mdistiller/models/imagenet/mobilenetv1.py`` (``MobileNetV1``; its older
    ``imagenet/mobilenetv2.py`` is the same model under the name ``MobileNetV2``, the
    ImageNet student of MLKD and SDD) and dvlab-research/ReviewKD@cede6ea:
    ``ImageNet/models/mobilenet.py`` (``MobileNet``). Module names match
    those models (``model.{i}.{j}``, ``fc``), so their checkpoints convert by a prefix
    rename (``torchvision_checkpoint.py``).

    ``model.0`` is the stem: 3x3 conv (3 -> 32, stride 2), BN, ReLU. ``model.1-13`` are
    depthwise-separable blocks: 3x3 depthwise conv with the block's stride, BN, ReLU,
    1x1 conv, BN, ReLU; 64, 128, 128, 256, 256, 512 (x6), 1024, 1024 channels with
    stride 2 in blocks 2, 4, 6 and 12. Convs have no bias. The original average-pools
    the final 7x7 map with a fixed kernel (``model.14``), the ``GlobalAveragePooling``
    neck here, then applies ``fc`` (1024 -> 1000).

    Outputs (``out_indices``): 0 is the stem, 1-13 the blocks; 13 is the map the
    classifier pools.

    Distillation taps, as the source's ``feats`` dict: ``feats`` = the final ReLU of
    blocks 3, 5, 11 and 13 (128@56, 256@28, 512@14, 1024@7 for 224 px inputs; unlike
    the CIFAR zoo there is **no stem entry**, as in the source, so ``feats[1:]`` is its
    last three features); ``preact_feats`` = the BN before each of those ReLUs
    (``model.{i}.4``, the source's ``get_bn_before_relu``).

    Args:
        out_indices: Layer outputs (0-13) returned by ``forward``.
        init_cfg: Defaults to None: PyTorch's default initialisation, as the original.
    """

    def __init__(self,
                 out_indices: OutIndices = (13, ),
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(len(BLOCK_SETTINGS) + 1, out_indices, init_cfg)
        layers = [nn.Sequential(*conv_bn_relu(3, STEM_CHANNELS, 3, stride=2))]
        in_channels = STEM_CHANNELS
        for out_channels, stride in BLOCK_SETTINGS:
            layers.append(depthwise_separable(in_channels, out_channels, stride))
            in_channels = out_channels
        self.model = nn.Sequential(*layers)
        self.out_channels = in_channels

        self.distill_taps = {
            'feats': tuple(f'model.{i}.5' for i in FEATURE_LAYERS),
            'preact_feats': tuple(f'model.{i}.4' for i in FEATURE_LAYERS),
        }

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for layer in self.model:
            x = layer(x)
            outs.append(x)
        return self.select_outputs(outs)
