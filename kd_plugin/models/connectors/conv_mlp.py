"""Per-position MLP (1x1 convs) connector: VID's mean regressor."""
from typing import Optional

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ConvMLPConnector(nn.Module):
    """Three 1x1 convs without bias, with ReLUs between them.

    ``conv1x1(C_in -> C_mid), ReLU, conv1x1(C_mid -> C_mid), ReLU,
    conv1x1(C_mid -> C_out)``: the regressor of the Gaussian mean in VID (Ahn et al.,
    CVPR 2019; RepDistiller ``VIDLoss`` and mdistiller ``VID``), where
    ``C_mid = C_out``. PyTorch's default initialisation, as the originals.

    Args:
        in_channels: Channels of the student map.
        out_channels: Channels of the teacher map.
        mid_channels: Hidden width; defaults to ``out_channels``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: Optional[int] = None) -> None:
        super().__init__()
        mid_channels = out_channels if mid_channels is None else mid_channels
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(mid_channels, mid_channels, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(mid_channels, out_channels, 1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
