"""The CIFAR ResNet-50 of the CRD model zoo (``ResNet50``), on MMPretrain's
ResNet_CIFAR."""
from typing import Dict, Tuple

from mmpretrain.models.backbones.resnet_cifar import ResNet_CIFAR
from mmpretrain.registry import MODELS

from .tap_resnet import TapBottleneck, stage_taps


@MODELS.register_module()
class CIFARResNet50(ResNet_CIFAR):
    """ResNet-50 with a 3x3 stride-1 stem and no max-pool, for 32x32 inputs.

    He, Zhang, Ren, Sun. "Deep Residual Learning for Image Recognition", CVPR 2016.
    The CRD model zoo's ``ResNet50`` (RepDistiller ``models/resnetv2.py``, mdistiller
    ``mdistiller/models/cifar/resnetv2.py``) computes exactly MMPretrain's
    ``ResNet_CIFAR(depth=50)`` (style 'pytorch': the stride sits on the 3x3 conv);
    only the names differ (``shortcut`` there, ``downsample`` here; the classifier
    ``linear`` is ``head.fc``), which ``cifar_checkpoint.py`` converts.

    This subclass only swaps in :class:`TapBottleneck`, so that the pre-activation
    stage outputs can be tapped, and defaults ``zero_init_residual`` to False as the
    original. Distillation taps: ``feats`` = stem ReLU and ``layer1-4``;
    ``preact_feats`` = stem ReLU and the input of the last block's ``relu_out`` (its
    BN before the ReLU is ``bn3``).

    Args:
        depth: Only 50.
        zero_init_residual: Zero-initialise the last BN of each block.
        **kwargs: Other ``ResNet_CIFAR`` arguments (``out_indices`` defaults to
            ``(3, )``).
    """

    arch_settings = {50: (TapBottleneck, (3, 4, 6, 3))}

    def __init__(self,
                 depth: int = 50,
                 zero_init_residual: bool = False,
                 **kwargs) -> None:
        super().__init__(depth, zero_init_residual=zero_init_residual, **kwargs)
        self.distill_taps: Dict[str, Tuple[str, ...]] = stage_taps(self)
