import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, check_pooled_pair, upcast


@MODELS.register_module()
class PKTLoss(nn.Module):
    """Probabilistic knowledge transfer.

    Passalis, Tefas. "Learning Deep Representations with Probabilistic Knowledge
    Transfer", ECCV 2018.

    Each model's pooled vectors (B, D) define a cosine-similarity kernel
    ``K_ij = (cos(x_i, x_j) + 1) / 2`` in [0, 1], turned into conditional probabilities
    ``P_ij = K_ij / sum_k K_ik``; the student's are matched to the teacher's by KL:

    .. math::
        L_{PKT} = \\frac{w}{B^2} \\sum_{i, j} P^t_{ij}
                  \\log \\frac{P^t_{ij} + \\epsilon}{P^s_{ij} + \\epsilon}

    This is the authors' code (and mdistiller's ``pkt_loss``, the reference values):
    vectors are normalised as ``x / (||x|| + eps)``, the self-similarities ``K_ii = 1``
    are part of the distributions, and the KL terms are averaged over all ``B^2``
    entries. The paper defines ``P_ij`` over ``j != i`` only (normalised by
    ``sum_{k != i} K_ik``) and sums the KL over those pairs; ``match_reference=False``
    excludes the self-pairs that way, and averages over the ``B (B - 1)`` pairs instead
    of summing them, so that ``loss_weight`` keeps its meaning across batch sizes. The
    ``eps = 1e-7`` guards are kept in both modes.

    The reference code also zeroes NaNs after normalising, a no-op for finite inputs
    (the ``+ eps`` keeps the norm positive); it is not reproduced, so NaN inputs show.
    The teacher vectors are constants, as the originals compute them under ``no_grad``.

    Args:
        loss_weight: Weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 30000 on CIFAR-100).
        match_reference: True (default): the authors' / mdistiller's formula above.
            False: the paper's conditional probabilities without self-pairs.
    """

    eps = 1e-7

    def __init__(self,
                 loss_weight: float = 30000.0,
                 match_reference: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def check_shapes(self, pooled_s: Tensor, pooled_t: Tensor) -> None:
        """Raise a ValueError unless the taps give (B, D) vectors of the same batch
        (shape probe). The probe's batch is not the training batch: forward checks
        the minimum number of samples."""
        check_pooled_pair('PKTLoss', pooled_s, pooled_t, min_batch=1)

    def forward(self, pooled_s: Tensor, pooled_t: Tensor) -> Tensor:
        """Return the weighted PKT term."""
        check_pooled_pair(
            'PKTLoss', pooled_s, pooled_t, min_batch=1 if self.match_reference else 2)
        batch = pooled_s.shape[0]
        with autocast_off(pooled_s):
            prob_s = self._conditional_probs(upcast(pooled_s))
            prob_t = self._conditional_probs(upcast(pooled_t).detach())
            kl_terms = prob_t * torch.log((prob_t + self.eps) / (prob_s + self.eps))
            pairs = batch**2 if self.match_reference else batch * (batch - 1)
            loss = kl_terms.sum() / pairs
        return self.loss_weight * loss

    def _conditional_probs(self, pooled: Tensor) -> Tensor:
        """(B, D) -> (B, B) row-stochastic ``P_ij`` (zero diagonal in paper mode)."""
        norm = torch.linalg.vector_norm(pooled, dim=1, keepdim=True)
        unit = pooled / (norm + self.eps)
        kernel = (unit @ unit.t() + 1.0) / 2.0
        if not self.match_reference:
            eye = torch.eye(len(kernel), dtype=torch.bool, device=kernel.device)
            kernel = kernel.masked_fill(eye, 0.0)
        return kernel / kernel.sum(dim=1, keepdim=True)
