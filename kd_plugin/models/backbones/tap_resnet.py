"""MMPretrain's ResNet with hookable pre-activation block outputs (same weights)."""
from typing import Callable, Dict, Tuple

import torch.nn as nn
import torch.utils.checkpoint as cp
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck, ResNet
from mmpretrain.registry import MODELS
from torch import Tensor


def _finish(block: nn.Module, residual_sum: Callable[[Tensor], Tensor],
            x: Tensor) -> Tensor:
    """Run ``residual_sum`` (with checkpointing if asked), then the block's own ReLU."""
    if block.with_cp and x.requires_grad:
        out = cp.checkpoint(residual_sum, x, use_reentrant=False)
    else:
        out = residual_sum(x)
    return block.relu_out(out)


class TapBasicBlock(BasicBlock):
    """MMPretrain's ``BasicBlock`` with a dedicated final activation ``relu_out``.

    The parent applies one shared in-place ReLU twice per block, so neither the block's
    pre-activation output (the residual sum) nor a single call of its final ReLU can be
    hooked. Here the final ReLU is its own, not in-place module: its input is the
    pre-activation output. Computation and parameters are unchanged.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.relu_out = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:

        def residual_sum(x: Tensor) -> Tensor:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.norm1(self.conv1(x)))
            return self.drop_path(self.norm2(self.conv2(out))) + identity

        return _finish(self, residual_sum, x)


class TapBottleneck(Bottleneck):
    """MMPretrain's ``Bottleneck`` with a dedicated final activation ``relu_out``
    (the parent's shared in-place ReLU runs three times per block; see
    :class:`TapBasicBlock`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.relu_out = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:

        def residual_sum(x: Tensor) -> Tensor:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.norm1(self.conv1(x)))
            out = self.relu(self.norm2(self.conv2(out)))
            return self.drop_path(self.norm3(self.conv3(out))) + identity

        return _finish(self, residual_sum, x)


def stage_taps(backbone: ResNet) -> Dict[str, Tuple[str, ...]]:
    """``feats``: the stem ReLU and each stage's output; ``preact_feats``: the stem ReLU
    and the input of each stage's last ``relu_out`` (its BN before the ReLU is the last
    block's ``bn2`` / ``bn3``)."""
    stages = tuple(backbone.res_layers)
    last_blocks = tuple(f'{name}.{blocks - 1}.relu_out:input'
                        for name, blocks in zip(stages, backbone.stage_blocks))
    return {
        'feats': ('relu', ) + stages,
        'preact_feats': ('relu', ) + last_blocks
    }


@MODELS.register_module()
class TapResNet(ResNet):
    """MMPretrain's ``ResNet`` (torchvision layout) whose blocks' pre-activation outputs
    can be tapped (OFD, ReviewKD): the same module names and weights, so torchvision /
    MMPretrain ResNet checkpoints load unchanged. ``distill_taps``: see
    :func:`stage_taps`.
    """

    arch_settings = {
        18: (TapBasicBlock, (2, 2, 2, 2)),
        34: (TapBasicBlock, (3, 4, 6, 3)),
        50: (TapBottleneck, (3, 4, 6, 3)),
        101: (TapBottleneck, (3, 4, 23, 3)),
        152: (TapBottleneck, (3, 8, 36, 3)),
    }

    def __init__(self, depth: int, **kwargs) -> None:
        super().__init__(depth, **kwargs)
        self.distill_taps = stage_taps(self)
