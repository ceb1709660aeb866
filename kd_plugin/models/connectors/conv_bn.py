"""Conv + BN connector from a student feature map to the teacher's shape."""
import math
from typing import Optional, Tuple, Union

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

Size = Union[int, Tuple[int, int]]


def _pair(size: Size) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def resampling_conv(in_channels: int, out_channels: int, in_size: Optional[Size],
                    out_size: Optional[Size], bias: bool) -> nn.Module:
    """The conv that maps a (C_in, H_in, W_in) map onto (C_out, H_out, W_out).

    The rule of FitNet's regressor (``ConvReg`` of RepDistiller / mdistiller), applied
    to height and width together:

    * ``in = 2 * out``: 3x3 conv, stride 2, padding 1;
    * ``2 * in = out``: 4x4 transposed conv, stride 2, padding 1;
    * ``in >= out``: conv with kernel ``(1 + H_in - H_out, 1 + W_in - W_out)``, i.e. a
      1x1 conv when the sizes are equal (also when both sizes are ``None``).
    """
    if in_size is None and out_size is None:
        return nn.Conv2d(in_channels, out_channels, 1, bias=bias)
    if in_size is None or out_size is None:
        raise ValueError('give both in_size and out_size (or neither, for equal sizes); '
                         f'got in_size={in_size}, out_size={out_size}.')
    (h_in, w_in), (h_out, w_out) = _pair(in_size), _pair(out_size)
    if (h_in, w_in) == (2 * h_out, 2 * w_out):
        return nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1, bias=bias)
    if (2 * h_in, 2 * w_in) == (h_out, w_out):
        return nn.ConvTranspose2d(
            in_channels, out_channels, 4, stride=2, padding=1, bias=bias)
    if h_in >= h_out and w_in >= w_out:
        return nn.Conv2d(
            in_channels, out_channels, (1 + h_in - h_out, 1 + w_in - w_out), bias=bias)
    raise ValueError(
        f'No connector maps a {h_in}x{w_in} student map onto a {h_out}x{w_out} teacher '
        'map: the student map must be twice, half, or at least the teacher size. Tap '
        'stages whose sizes fit.')


@MODELS.register_module()
class ConvBNConnector(nn.Module):
    """Conv, BN and an optional ReLU from ``in_channels`` to ``out_channels``.

    The connector of several feature-distillation methods:

    * FitNet's regressor (Romero et al., ICLR 2015; ``ConvReg`` in RepDistiller and
      mdistiller): the conv follows the spatial rule of :func:`resampling_conv`, with a
      bias, then BN and ReLU, PyTorch's default initialisation
      (``in_size/out_size`` given, ``bias=True, with_relu=True, he_init=False``);
    * OFD's connector (Heo et al., ICCV 2019): 1x1 conv without bias, then BN, no
      activation, conv weights drawn from ``N(0, 2 / (k^2 C_out))`` and BN 1/0 (the
      defaults);
    * SRRL's connector (Yang et al., ICLR 2021): as OFD's, followed by a ReLU
      (``with_relu=True``).

    The weights are initialised here, when the loss that owns the connector is built:
    the distiller keeps its losses in an ``nn.ModuleDict``, which ``init_weights`` does
    not descend into.

    Args:
        in_channels: Channels of the student map.
        out_channels: Channels of the teacher map.
        in_size: Student map size (``H`` or ``(H, W)``); with ``out_size``, selects a
            resampling conv. ``None`` for both: 1x1 conv, sizes unchanged.
        out_size: Teacher map size.
        bias: Give the conv a bias.
        with_relu: Append a ReLU after the BN.
        he_init: Conv weights ``N(0, 2 / (k_h k_w C_out))`` (Kaiming normal, fan-out)
            and BN weight 1 / bias 0. False: PyTorch's default initialisation.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 in_size: Optional[Size] = None,
                 out_size: Optional[Size] = None,
                 bias: bool = False,
                 with_relu: bool = False,
                 he_init: bool = True) -> None:
        super().__init__()
        self.conv = resampling_conv(in_channels, out_channels, in_size, out_size, bias)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU() if with_relu else None
        if he_init:
            kernel_h, kernel_w = self.conv.kernel_size
            std = math.sqrt(2.0 / (kernel_h * kernel_w * out_channels))
            nn.init.normal_(self.conv.weight, 0.0, std)
            nn.init.ones_(self.bn.weight)
            nn.init.zeros_(self.bn.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.bn(self.conv(x))
        return x if self.relu is None else self.relu(x)
