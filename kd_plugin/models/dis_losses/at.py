from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import aligned_stage_pairs


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer.

    Zagoruyko, Komodakis. "Paying More Attention to Attention: Improving the
    Performance of Convolutional Neural Networks via Attention Transfer", ICLR 2017.

    The attention map of a stage map ``F`` (B, C, H, W) is its channel mean raised to
    ``p``, flattened and L2-normalised per sample:
    ``a(F) = vec(mean_c F_c^p) / ||vec(mean_c F_c^p)||_2``. Summed over the stages ``i``:

    .. math::
        L_{AT} = w \\sum_i \\frac{1}{B H_i W_i} \\sum_b
                 \\big\\| a(F^s_{i,b}) - a(F^t_{i,b}) \\big\\|_2^2

    This is the authors' code (and mdistiller's ``at_loss``, the reference values):
    the squared distance averaged over batch and positions. The paper's loss writes
    the plain, unsquared norm of the difference, ``(beta / 2) sum_i ||.||_2``, and
    ``|F_c|^p`` in the map; ``match_reference=False`` computes that:
    ``w sum_i (1/B) sum_b ||a(|F^s_{i,b}|) - a(|F^t_{i,b}|)||_2``, whose scale differs,
    so ``loss_weight`` must be re-tuned. (The two maps agree for post-ReLU features or
    even ``p``.)

    Stages are compared pairwise; where the spatial sizes differ, the larger map is
    average-pooled to the smaller (mdistiller's alignment). The teacher maps are
    constants, as the originals compute them under ``no_grad``.

    Args:
        p: Exponent of the attention map (2 in the paper and on CIFAR-100).
        loss_weight: Weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 1000 on CIFAR-100).
        match_reference: True (default): the authors' / mdistiller's formula above.
            False: the paper's formula.
    """

    def __init__(self,
                 p: float = 2,
                 loss_weight: float = 1000.0,
                 match_reference: bool = True) -> None:
        super().__init__()
        self.p = p
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted AT term, summed over the stage pairs."""
        pairs = aligned_stage_pairs('ATLoss', feats_s, feats_t)
        loss = sum(self._stage_loss(f_s, f_t.detach()) for f_s, f_t in pairs)
        return self.loss_weight * loss

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped stages pair up (shape probe): as many
        student as teacher stages, (B, C, H, W) maps whose spatial sizes pool to each
        other."""
        aligned_stage_pairs('ATLoss', feats_s, feats_t)

    def _attention(self, feat: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, H*W) unit-norm attention vectors."""
        if self.p == 2:
            # F * F is faster than pow(2) (forward and backward); the 1/C of the
            # channel mean cancels in the normalisation.
            energy = (feat * feat).sum(dim=1)
        else:
            energy = (feat if self.match_reference else feat.abs()).pow(self.p).sum(dim=1)
        return F.normalize(energy.flatten(1), dim=1)

    def _stage_loss(self, feat_s: Tensor, feat_t: Tensor) -> Tensor:
        diff = self._attention(feat_s) - self._attention(feat_t)
        if self.match_reference:
            return diff.pow(2).mean()
        return torch.linalg.vector_norm(diff, dim=1).mean()
