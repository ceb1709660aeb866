"""Factor transfer's paraphraser (teacher side) and translator (student side)."""
from typing import Tuple

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

LEAKY_SLOPE = 0.1


def _conv_stack(channels: Tuple[int, ...], transposed: bool,
                with_bn: bool) -> nn.Sequential:
    """3x3 (transposed) convs with bias, stride 1, padding 1, between the consecutive
    ``channels``, each followed by an optional BN and LeakyReLU(0.1)."""
    conv = nn.ConvTranspose2d if transposed else nn.Conv2d
    layers = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        layers.append(conv(c_in, c_out, 3, 1, 1))
        if with_bn:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.LeakyReLU(LEAKY_SLOPE))
    return nn.Sequential(*layers)


def factor_channels(teacher_channels: int, rate: float) -> int:
    """Channels of the factors: ``int(C_t * rate)``, the paraphrase rate ``k``."""
    channels = int(teacher_channels * rate)
    if channels < 1:
        raise ValueError(f'paraphrase rate {rate} leaves no factor channel for a '
                         f'{teacher_channels}-channel teacher map.')
    return channels


@MODELS.register_module()
class Paraphraser(nn.Module):
    """The paraphraser of factor transfer: a convolutional autoencoder of the teacher's
    feature map, whose code is the teacher factor.

    Kim, Park, Kwak. "Paraphrasing Complex Network: Network Compression via Factor
    Transfer", NeurIPS 2018. As ``Paraphraser`` in
    ``HobbitLong/RepDistiller@b84f547:models/util.py`` (``use_bn=False``, its default):
    encoder ``C -> C -> kC -> kC`` and decoder ``kC -> kC -> C -> C``, 3x3 convs
    (transposed in the decoder) with bias, each followed by LeakyReLU(0.1), the
    reconstruction included; PyTorch's default initialisation.

    Args:
        channels: Channels ``C`` of the teacher map.
        rate: Paraphrase rate ``k`` (factor channels ``int(k C)``).
    """

    def __init__(self, channels: int, rate: float = 0.5) -> None:
        super().__init__()
        factor = factor_channels(channels, rate)
        self.encoder = _conv_stack((channels, channels, factor, factor), False, False)
        self.decoder = _conv_stack((factor, factor, channels, channels), True, False)

    def forward(self, feat_t: Tensor) -> Tuple[Tensor, Tensor]:
        """Return ``(factor, reconstruction)``."""
        factor = self.encoder(feat_t)
        return factor, self.decoder(factor)


@MODELS.register_module()
class Translator(nn.Module):
    """The translator of factor transfer: the student's map to a factor of the
    teacher factor's channels.

    As ``Translator`` in ``HobbitLong/RepDistiller@b84f547:models/util.py``
    (``use_bn=True``, its default): ``C_s -> C_s -> kC_t -> kC_t``, 3x3 convs with
    bias, each followed by BN and LeakyReLU(0.1); PyTorch's default initialisation.

    Args:
        in_channels: Channels ``C_s`` of the student map.
        teacher_channels: Channels ``C_t`` of the teacher map.
        rate: The paraphraser's rate ``k``.
    """

    def __init__(self,
                 in_channels: int,
                 teacher_channels: int,
                 rate: float = 0.5) -> None:
        super().__init__()
        factor = factor_channels(teacher_channels, rate)
        self.encoder = _conv_stack((in_channels, in_channels, factor, factor), False,
                                   True)

    def forward(self, feat_s: Tensor) -> Tensor:
        return self.encoder(feat_s)
