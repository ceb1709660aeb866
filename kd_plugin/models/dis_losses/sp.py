from typing import Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, upcast


def _batch_similarity(feat: Tensor) -> Tensor:
    """(B, ...) -> (B, B) Gram matrix of the flattened samples, rows L2-normalised."""
    flat = feat.flatten(1)
    return F.normalize(flat @ flat.t(), dim=1)


@MODELS.register_module()
class SPLoss(nn.Module):
    """Similarity-preserving knowledge distillation.

    Tung, Mori. "Similarity-Preserving Knowledge Distillation", ICCV 2019.

    The deepest stage map of each model is flattened to ``Q`` (B, C*H*W); its batch
    similarity is ``G = row_normalize(Q Q^T)`` (B, B), and

    .. math::
        L_{SP} = \\frac{w}{B^2} \\big\\| G_t - G_s \\big\\|_F^2

    This is the paper's loss and mdistiller's ``sp_loss`` (the reference values)
    alike. As in mdistiller and RepDistiller, only the last entry of ``feats_s`` /
    ``feats_t`` is used (the paper's CIFAR setting); the shallower stages are ignored,
    so the two tuples may differ in length. Channel and spatial sizes may differ
    between the models, only the batch must match. The teacher map is a constant, as
    the originals compute it under ``no_grad``.

    Args:
        loss_weight: Weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 3000 on CIFAR-100).
    """

    def __init__(self, loss_weight: float = 3000.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted SP term of the last stage."""
        feat_s, feat_t = self._last_maps(feats_s, feats_t)
        feat_s, feat_t = upcast(feat_s), upcast(feat_t).detach()
        batch = feat_s.shape[0]
        with autocast_off(feat_s):
            diff = _batch_similarity(feat_t) - _batch_similarity(feat_s)
            loss = diff.pow(2).sum() / batch**2
        return self.loss_weight * loss

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the taps give tuples of stage maps whose last maps
        are (B, ...) with the same batch size (shape probe)."""
        self._last_maps(feats_s, feats_t)

    @staticmethod
    def _last_maps(feats_s: Sequence[Tensor],
                   feats_t: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """The last stage maps of both models, checked."""
        for role, feats in (('s', feats_s), ('t', feats_t)):
            if isinstance(feats, Tensor) or len(feats) == 0:
                raise ValueError(f'SPLoss: feats_{role} must be a non-empty tuple of '
                                 'stage maps (B, C, H, W), shallow to deep.')
        feat_s, feat_t = feats_s[-1], feats_t[-1]
        if min(feat_s.dim(), feat_t.dim()) < 2 or feat_s.shape[0] != feat_t.shape[0]:
            raise ValueError(
                f'SPLoss: last stage: student {tuple(feat_s.shape)}, teacher '
                f'{tuple(feat_t.shape)}; expected (B, ...) maps with the same batch '
                'size (both models must see the same batch).')
        return feat_s, feat_t
