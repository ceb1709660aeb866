"""FCFD's bridge: maps a stage feature of one network into the other network's space."""
import torch.nn as nn
from mmpretrain.registry import MODELS


@MODELS.register_module()
class FCFDBridge(nn.Sequential):
    """Conv + BN (+ LeakyReLU) from a source stage map onto a target stage map.

    The bridge of FCFD (Liu et al., "Function-Consistent Feature Distillation", ICLR
    2023; LiuDongyang6/FCFD ``MetaModel.build_bridge``), built for every stage and
    direction (student -> teacher and teacher -> student):

    * equal sizes: 3x3 conv, stride 1, padding 1, **no bias**;
    * source twice the target size: 3x3 conv, stride 2, padding 1, **with bias**;
    * source half the target size: 4x4 transposed conv, stride 2, padding 1, with bias;

    then ``BatchNorm2d(out_channels)`` and, when the target network's stage outputs are
    post-ReLU (``out_relu=True``), ``LeakyReLU(0.1)``.

    Initialisation as the reference: Kaiming-normal (fan_out, relu) weights for the
    ``nn.Conv2d`` (its bias keeps PyTorch's default), BN 1/0. The transposed conv is not
    an ``nn.Conv2d``, so the reference's init loop skips it: it keeps PyTorch's default
    initialisation here too.

    Args:
        in_channels: Channels of the source stage map.
        out_channels: Channels of the target stage map.
        in_size: Spatial size (H = W) of the source map.
        out_size: Spatial size of the target map.
        out_relu: Append ``LeakyReLU(0.1)`` (target stages are post-ReLU).
    """

    def __init__(self, in_channels: int, out_channels: int, in_size: int, out_size: int,
                 out_relu: bool) -> None:
        if in_size == out_size:
            conv = nn.Conv2d(
                in_channels, out_channels, 3, stride=1, padding=1, bias=False)
        elif in_size == 2 * out_size:
            conv = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1, bias=True)
        elif 2 * in_size == out_size:
            conv = nn.ConvTranspose2d(
                in_channels, out_channels, 4, stride=2, padding=1, bias=True)
        else:
            raise ValueError(f'FCFDBridge maps equal, halved or doubled sizes only; got '
                             f'{in_size} -> {out_size}.')
        layers = [conv, nn.BatchNorm2d(out_channels)]
        if out_relu:
            layers.append(nn.LeakyReLU(negative_slope=0.1))
        super().__init__(*layers)
        if isinstance(conv, nn.Conv2d):
            nn.init.kaiming_normal_(conv.weight, mode='fan_out', nonlinearity='relu')
        nn.init.constant_(self[1].weight, 1)
        nn.init.constant_(self[1].bias, 0)
