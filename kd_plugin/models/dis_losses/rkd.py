import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, check_pooled_pair, upcast


def _normalized_distances(pooled: Tensor, eps: float) -> Tensor:
    """(B, D) -> (B, B) Euclidean distances divided by their mean over ``i != j``.

    Squared distances are clamped at ``eps`` before the square root (so every
    off-diagonal entry is positive) and the diagonal is set to 0, as in the reference.
    """
    batch = len(pooled)
    sq_norms = pooled.pow(2).sum(dim=1)
    sq_dist = sq_norms[:, None] + sq_norms[None, :] - 2 * pooled @ pooled.t()
    eye = torch.eye(batch, dtype=torch.bool, device=pooled.device)
    dist = sq_dist.clamp(min=eps).sqrt().masked_fill(eye, 0.0)
    return dist / (dist.sum() / (batch * (batch - 1)))


def _angles(pooled: Tensor) -> Tensor:
    """(B, D) -> (B, B, B): ``[i, j, k] = cos`` of the angle at ``e_i`` between
    ``e_j - e_i`` and ``e_k - e_i`` (0 where a difference is the zero vector)."""
    directions = F.normalize(pooled[None, :, :] - pooled[:, None, :], dim=2)
    return torch.bmm(directions, directions.transpose(1, 2))


def _distinct_triplets(batch: int, device: torch.device) -> Tensor:
    """(B, B, B) bool mask of the triplets ``(i, j, k)`` of pairwise distinct indices."""
    eye = torch.eye(batch, dtype=torch.bool, device=device)
    return ~(eye[:, :, None] | eye[:, None, :] | eye[None, :, :])


@MODELS.register_module()
class RKDLoss(nn.Module):
    """Relational knowledge distillation (distance and angle terms).

    Park, Kim, Lu, Cho. "Relational Knowledge Distillation", CVPR 2019.

    On the pooled vectors (B, D), ``psi_D(i, j) = ||e_i - e_j||_2 / mu`` with ``mu``
    the mean distance over the pairs ``i != j``, and ``psi_A(i, j, k)`` the cosine of
    the angle at ``e_i`` of the triangle ``(e_j, e_i, e_k)``. With ``l`` the Huber
    (smooth-L1, delta = 1) loss:

    .. math::
        L_{RKD} = w \\Big[ \\lambda_D \\frac{1}{B^2} \\sum_{i,j}
                  l\\big(\\psi^s_D(i,j), \\psi^t_D(i,j)\\big)
                  + \\lambda_A \\frac{1}{B^3} \\sum_{i,j,k}
                  l\\big(\\psi^s_A(i,j,k), \\psi^t_A(i,j,k)\\big) \\Big]

    This is the authors' code (and mdistiller's ``rkd_loss`` with ``squared=False``,
    ``eps=1e-12``, the reference values): the Huber terms are averaged over all
    ``B^2`` pairs and ``B^3`` triplets, degenerate ones included (they contribute 0,
    up to rounding). The paper sums over the pairs ``i != j`` and the triplets of
    distinct samples; ``match_reference=False`` averages over exactly those (so the
    weights keep their meaning across batch sizes). The reference's distance and
    angle terms are then smaller by the factors ``(B - 1) / B`` and
    ``(B - 1)(B - 2) / B^2``.

    The loss is invariant to a common scale and translation of either model's vectors.
    The teacher vectors are constants, as the originals compute them under ``no_grad``.

    Args:
        distance_weight: ``lambda_D`` (mdistiller's ``DISTANCE_WEIGHT``: 25).
        angle_weight: ``lambda_A`` (mdistiller's ``ANGLE_WEIGHT``: 50).
        loss_weight: Overall weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 1).
        match_reference: True (default): the authors' / mdistiller's averaging above.
            False: the paper's pairs and triplets of distinct samples.
    """

    eps = 1e-12

    def __init__(self,
                 distance_weight: float = 25.0,
                 angle_weight: float = 50.0,
                 loss_weight: float = 1.0,
                 match_reference: bool = True) -> None:
        super().__init__()
        self.distance_weight = distance_weight
        self.angle_weight = angle_weight
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def check_shapes(self, pooled_s: Tensor, pooled_t: Tensor) -> None:
        """Raise a ValueError unless the taps give (B, D) vectors of the same batch
        (shape probe). The probe's batch is not the training batch: forward checks
        the minimum number of samples."""
        check_pooled_pair('RKDLoss', pooled_s, pooled_t, min_batch=1)

    def forward(self, pooled_s: Tensor, pooled_t: Tensor) -> Tensor:
        """Return the weighted RKD term."""
        check_pooled_pair(
            'RKDLoss', pooled_s, pooled_t, min_batch=2 if self.match_reference else 3)
        batch = pooled_s.shape[0]
        with autocast_off(pooled_s):
            student, teacher = upcast(pooled_s), upcast(pooled_t).detach()
            huber_d = F.smooth_l1_loss(
                _normalized_distances(student, self.eps),
                _normalized_distances(teacher, self.eps),
                reduction='none')
            huber_a = F.smooth_l1_loss(
                _angles(student), _angles(teacher), reduction='none')
            if self.match_reference:
                loss_d, loss_a = huber_d.mean(), huber_a.mean()
            else:
                # The diagonal of huber_d is 0 on both sides: only the count changes.
                loss_d = huber_d.sum() / (batch * (batch - 1))
                loss_a = (huber_a * _distinct_triplets(batch, student.device)).sum() / (
                    batch * (batch - 1) * (batch - 2))
        return self.loss_weight * (
            self.distance_weight * loss_d + self.angle_weight * loss_a)
