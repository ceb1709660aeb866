"""ReviewKD's attention-based fusion (ABF) module."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ABF(nn.Module):
    """Attention-based fusion of one student level with the review of deeper levels.

    Chen, Liu, Zhao, Jia. "Distilling Knowledge via Knowledge Review", CVPR 2021
    (``ABF`` of the official dvlab-research/ReviewKD code and of mdistiller).

    With the student map ``x`` of this level and the residual ``y`` (``mid_channels``)
    handed down by the next deeper level:

    1. ``x' = BN(conv1x1(x))`` (``mid_channels``);
    2. with ``fuse``: ``y`` is nearest-resized to the size of ``x``, the two maps are
       weighted by a per-position sigmoid attention ``a = sigmoid(conv1x1([x', y]))``
       (two channels, with bias) and summed: ``x' = a_0 x' + a_1 y``;
    3. ``x'`` is nearest-resized to the teacher map's size ``out_size``;
    4. the output is ``BN(conv3x3(x'))`` (``out_channels``), and ``x'`` is the residual
       for the next, shallower level.

    The deepest level (the pooled vector as a 1x1 map) has nothing to fuse
    (``fuse=False``). Both convs are initialised with ``kaiming_uniform_(a=1)`` here, as
    in the original; the attention conv and the BNs keep PyTorch's defaults. The
    original passes the student size of each level as a config ``shape``; here it is
    read from ``x``.

    Args:
        in_channels: Channels of the student map of this level.
        mid_channels: Channels of the fused map and of the residual.
        out_channels: Channels of the teacher map of this level.
        fuse: Fuse with the residual of the deeper level.
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int,
                 fuse: bool) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False),
            nn.BatchNorm2d(mid_channels))
        self.conv2 = nn.Sequential(
            nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels))
        self.att_conv = nn.Sequential(nn.Conv2d(2 * mid_channels, 2, 1),
                                      nn.Sigmoid()) if fuse else None
        nn.init.kaiming_uniform_(self.conv1[0].weight, a=1)
        nn.init.kaiming_uniform_(self.conv2[0].weight, a=1)

    def forward(self, x: Tensor, residual: Optional[Tensor],
                out_size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Return the output for the teacher level and the residual for the next level.

        Args:
            x: Student map (B, in_channels, H, W).
            residual: (B, mid_channels, h, w) from the deeper level; ``None`` for the
                deepest level (``fuse=False``).
            out_size: ``(H_t, W_t)`` of the teacher map of this level.
        """
        x = self.conv1(x)
        if self.att_conv is not None:
            if residual is None:
                raise ValueError('ABF with fuse=True needs the residual of the deeper '
                                 'level.')
            residual = F.interpolate(residual, x.shape[-2:], mode='nearest')
            attention = self.att_conv(torch.cat([x, residual], dim=1))
            x = x * attention[:, :1] + residual * attention[:, 1:]
        if tuple(x.shape[-2:]) != tuple(out_size):
            x = F.interpolate(x, tuple(out_size), mode='nearest')
        return self.conv2(x), x
