from typing import List, Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, upcast


def fsp_matrix(lower: Tensor, upper: Tensor) -> Tensor:
    """The (B, C_lower, C_upper) "flow of solution procedure" matrix of two maps.

    ``G_{jk} = 1 / (H W) sum_{h,w} F^lower_{j,h,w} F^upper_{k,h,w}``. Where the sizes
    differ, the larger map is adaptive-average-pooled to the smaller one, as in
    ``HobbitLong/RepDistiller@b84f547:distiller_zoo/FSP.py`` (which assumes square
    maps).
    """
    size_l, size_u = tuple(lower.shape[2:]), tuple(upper.shape[2:])
    if size_l != size_u:
        if all(a >= b for a, b in zip(size_l, size_u)):
            lower = F.adaptive_avg_pool2d(lower, size_u)
        elif all(a <= b for a, b in zip(size_l, size_u)):
            upper = F.adaptive_avg_pool2d(upper, size_l)
        else:
            raise ValueError(f'FSPLoss: maps of sizes {size_l} and {size_u} cannot be '
                             'pooled to one another.')
    with autocast_off(lower):
        return lower.flatten(2) @ upper.flatten(2).transpose(1, 2) / lower[0, 0].numel()


@MODELS.register_module()
class FSPLoss(nn.Module):
    """Flow of solution procedure (FSP) matrices.

    Yim, Joo, Bae, Kim. "A Gift from Knowledge Distillation: Fast Optimization,
    Network Minimization and Transfer Learning", CVPR 2017.

    Consecutive maps ``F_i, F_{i+1}`` of a model (stem and stages, ``feats``) give
    its FSP matrices ``G_i = 1/(HW) F_i F_{i+1}^T`` (:func:`fsp_matrix`); the student
    matches the teacher's, so both must have the same channels at every level:

    .. math::
        L_{FSP} = w \\sum_{i=0}^{n-2} \\frac{1}{B C_i C_{i+1}}
            \\big\\| G^s_i - G^t_i \\big\\|_F^2

    This is ``FSP`` of ``HobbitLong/RepDistiller@b84f547:distiller_zoo/FSP.py``, the
    code behind the cited numbers: the squared differences are averaged over the
    matrices' entries and the batch. The paper sums them over the entries and
    averages over the samples, ``w (1/B) sum_i ||G^s_i - G^t_i||_F^2`` with equal
    ``lambda_i``: ``match_reference=False``.

    How it trains (RepDistiller's ``--distill fsp``): FSP is an **initialisation**, as
    in the paper. For 30 epochs the student's feature layers train on this loss alone
    (weight 1) with their own SGD and the student in ``eval()``
    (``helper/pretrain.py``); then the student trains on its cross-entropy alone
    (``helper/loops.py``: ``loss_kd = 0``). The FSP configs express this with
    :class:`~kd_plugin.engine.stages.TrainingStageHook`.

    Args:
        match_reference: Average over the matrix entries (True, RepDistiller) or sum
            over them (False, the paper).
        loss_weight: Weight ``w``.
    """

    def __init__(self, match_reference: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.match_reference = match_reference
        self.loss_weight = loss_weight

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted FSP term, summed over the pairs of consecutive maps."""
        self.check_shapes(feats_s, feats_t)
        matrices_s = self._matrices([upcast(f) for f in feats_s])
        matrices_t = self._matrices([upcast(f).detach() for f in feats_t])
        loss = 0.0
        for g_s, g_t in zip(matrices_s, matrices_t):
            squared = (g_s - g_t).pow(2)
            loss = loss + (
                squared.mean() if self.match_reference else squared.sum() /
                squared.shape[0])
        return self.loss_weight * loss

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless both models give the same number of maps (two or
        more) with the same channels at each level."""
        if isinstance(feats_s, Tensor) or isinstance(
                feats_t, Tensor) or len(feats_s) != len(feats_t) or len(feats_s) < 2:
            count = [
                'one tensor' if isinstance(f, Tensor) else len(f)
                for f in (feats_s, feats_t)
            ]
            raise ValueError(
                f'FSPLoss: needs the same number (at least 2) of maps from both models, '
                f'shallow to deep; got {count[0]} (student) and {count[1]} (teacher). '
                "Tap them, e.g. feats=['backbone.relu', 'backbone.layer1', ...].")
        channels_s = [f.shape[1] for f in feats_s]
        channels_t = [f.shape[1] for f in feats_t]
        if channels_s != channels_t:
            raise ValueError(
                f'FSPLoss: FSP matrices compare only maps of equal channels, got '
                f'student {channels_s} and teacher {channels_t}; FSP applies to pairs '
                'whose tapped levels have the same widths.')

    @staticmethod
    def _matrices(feats: List[Tensor]) -> List[Tensor]:
        return [fsp_matrix(lower, upper) for lower, upper in zip(feats[:-1], feats[1:])]
