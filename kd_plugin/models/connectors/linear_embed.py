"""Linear embedding onto the unit sphere: CRD's projection heads."""
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class LinearEmbed(nn.Module):
    """Flatten, ``nn.Linear(in_channels, out_channels)`` (with bias, PyTorch's default
    initialisation), then L2-normalise each row.

    CRD's ``Embed`` + ``Normalize`` (Tian et al., ICLR 2020; RepDistiller's
    ``crd/criterion.py``, mdistiller's ``CRD.py``). The original divides by the norm
    without a floor; here the norm is floored at 1e-12 (``F.normalize``), which only
    differs for an all-zero row (NaN in the original).

    Args:
        in_channels: Width ``D`` of the input vectors (B, D) (or maps, flattened).
        out_channels: Embedding width (CRD's ``feat_dim``, 128).
    """

    def __init__(self, in_channels: int, out_channels: int = 128) -> None:
        super().__init__()
        self.linear = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.linear(x.flatten(1)), p=2, dim=1)
