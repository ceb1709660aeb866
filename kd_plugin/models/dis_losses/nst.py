from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import aligned_stage_pairs, autocast_off


def _mean_poly_kernel(a: Tensor, b: Tensor) -> Tensor:
    """Mean over (B, C_a, C_b) of the kernel ``k(x, y) = (x^T y)^2`` of channel rows."""
    return torch.bmm(a, b.transpose(1, 2)).pow(2).mean()


@MODELS.register_module()
class NSTLoss(nn.Module):
    """Neuron selectivity transfer.

    Huang, Wang. "Like What You Like: Knowledge Distill via Neuron Selectivity
    Transfer", arXiv 1707.01219, 2017.

    Each channel of a stage map (B, C, H, W) is a sample ``f_c`` of H*W activations,
    L2-normalised. NST matches the two channel distributions by the squared maximum
    mean discrepancy with the polynomial kernel ``k(x, y) = (x^T y)^2`` (d = 2, c = 0),
    averaged over the batch and summed over the stages ``i``:

    .. math::
        L_{NST} = w \\sum_i \\frac{1}{B} \\sum_b \\Big[
            \\overline{k(f^t, f^t)} + \\overline{k(f^s, f^s)}
            - 2\\, \\overline{k(f^s, f^t)} \\Big]

    where the bars are means over the channel pairs (C_t^2, C_s^2, C_s C_t). This is
    the paper's loss and mdistiller's ``nst_loss`` (the reference values) alike; the
    paper's ``lambda / 2`` factor is folded into ``loss_weight``. The teacher-teacher
    term is a constant that keeps the value an MMD (>= 0, zero for equal maps).

    Stages are compared pairwise; where the spatial sizes differ, the larger map is
    average-pooled to the smaller (mdistiller's alignment). Channel counts may differ.
    The teacher maps are constants, as the originals compute them under ``no_grad``.

    Args:
        loss_weight: Weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 50 on CIFAR-100).
    """

    def __init__(self, loss_weight: float = 50.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted NST term, summed over the stage pairs."""
        pairs = aligned_stage_pairs('NSTLoss', feats_s, feats_t)
        with autocast_off(pairs[0][0]):
            loss = sum(self._stage_loss(f_s, f_t.detach()) for f_s, f_t in pairs)
        return self.loss_weight * loss

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped stages pair up (shape probe): as many
        student as teacher stages, (B, C, H, W) maps whose spatial sizes pool to each
        other."""
        aligned_stage_pairs('NSTLoss', feats_s, feats_t)

    @staticmethod
    def _stage_loss(feat_s: Tensor, feat_t: Tensor) -> Tensor:
        rows_s = F.normalize(feat_s.flatten(2), dim=2)
        rows_t = F.normalize(feat_t.flatten(2), dim=2)
        return (_mean_poly_kernel(rows_t, rows_t) + _mean_poly_kernel(rows_s, rows_s) -
                2 * _mean_poly_kernel(rows_s, rows_t))
