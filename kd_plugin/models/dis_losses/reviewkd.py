from typing import List, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ABF
from kd_plugin.utils.vocabulary import closest
from .utils import check_connector_stages, reduce_per_sample, upcast

# Pyramid of HCL: the sizes of the pooled context levels, in order.
HCL_POOL_SIZES = (4, 2, 1)
# The epoch number n of the warm-up min(n / W, 1) in the first epoch.
WARMUP_FIRST_EPOCH = {'one_based': 1, 'zero_based': 0}


def hcl_per_sample(feat_s: Tensor, feat_t: Tensor) -> Tensor:
    """Hierarchical context loss of one level, per sample (B,).

    The mean squared error of the maps, plus that of their average-pooled ``4x4``,
    ``2x2`` and ``1x1`` versions (only the sizes below the map height ``h``), weighted
    ``1, 1/2, 1/4, 1/8`` in that order and divided by the sum of the weights used
    (1.875 for ``h >= 8``, 1.75 for ``h = 4``, 1.5 for ``h = 2``, 1 for ``h = 1``).
    The mean over the batch is ReviewKD's ``hcl`` of that level.
    """
    loss = (feat_s - feat_t).pow(2).flatten(1).mean(dim=1)
    weight, total = 1.0, 1.0
    for size in HCL_POOL_SIZES:
        if size >= feat_s.shape[2]:
            continue
        weight /= 2.0
        pooled_s = F.adaptive_avg_pool2d(feat_s, size)
        pooled_t = F.adaptive_avg_pool2d(feat_t, size)
        loss = loss + weight * (pooled_s - pooled_t).pow(2).flatten(1).mean(dim=1)
        total += weight
    return loss / total


@MODELS.register_module()
class ReviewKDLoss(nn.Module):
    """ReviewKD: attention-based fusion of student levels + hierarchical context loss.

    Chen, Liu, Zhao, Jia. "Distilling Knowledge via Knowledge Review", CVPR 2021.

    The student's levels ``x_1 .. x_n`` (its stage maps, shallow to deep, then the
    pooled vector as a 1x1 map) are *reviewed* from the deepest: an :class:`ABF` per
    level maps ``x_j`` to the teacher's channels and size, fused with the residual of
    level ``j + 1`` (the deepest level fuses nothing). Each output is compared with the
    teacher's level ``j`` (its pre-ReLU stage maps, then its pooled vector) by the
    hierarchical context loss (:func:`hcl_per_sample`), summed over the levels:

    .. math::
        L_{ReviewKD} = \\lambda \\, \\min\\big(\\tfrac{n}{W}, 1\\big)
            \\sum_j \\mathrm{HCL}\\big(\\mathrm{ABF}_j(x_j, r_{j+1}), F^t_j\\big)

    This is the official code (dvlab-research/ReviewKD@cede6ea:
    ``CIFAR-100/model/reviewkd.py``, ``build_review_kd`` and ``hcl``) and mdistiller's
    ``ReviewKD`` (megvii-research/mdistiller@a08d46f:
    ``mdistiller/distillers/ReviewKD.py``). The per-pair settings (``student_channels``
    = ``in_channels``, ``teacher_channels`` = ``out_channels``, ``mid_channels``,
    ``loss_weight`` = λ) are those of the official ``build_review_kd``; the sizes
    (``shapes`` / ``out_shapes`` there) are read from the maps. ``mid_channels``
    defaults to ``min(512, student_channels[-1])``, the official CIFAR value (the
    official ImageNet MobileNet uses 256; mdistiller always uses the default).

    Inputs: on CIFAR the student's maps are post-ReLU (``feats_s``) and the teacher's
    pre-ReLU (``preact_feats_t``), as both originals; on ImageNet the originals use the
    student's pre-ReLU maps, which a config selects with ``student_taps``. Tap the
    compared stages only (the stem is not a level).

    Warm-up: ``n`` is the number of the current epoch, counted from 1
    (``warmup_convention='one_based'``, the default: mdistiller's ``min(epoch / W, 1)``
    with its 1-based epochs, i.e. ``(e + 1) / W`` for MMEngine's 0-based ``e``) or from
    0 (``'zero_based'``: ``e / W``, as ``min(1, epoch / kd_warm_up)`` over
    ``range(epochs)`` in dvlab-research/ReviewKD@cede6ea: ``CIFAR-100/train.py`` l.225
    and cpsu00/ER-KD@42aa4f1: ``ER-ReviewKD/CIFAR-100/train.py`` l.250). With
    ``'zero_based'`` the first epoch has no ReviewKD term and the factor reaches 1 one
    epoch later (at ``e = W``). The rest of the official CIFAR protocol (its teacher's
    BatchNorm in train mode: the distiller's ``teacher_norm_train=True``; batch 128,
    Nesterov, CIFAR-10 normalisation) is set by the configs
    (``configs/reviewkd/README.md``).

    Args:
        student_channels: Channels of the student levels, shallow to deep: one per map
            of ``feats_s``, then the pooled vector's.
        teacher_channels: Channels of the teacher levels: one per map of
            ``preact_feats_t``, then the pooled vector's.
        mid_channels: Width of the fused maps; ``None``: ``min(512,
            student_channels[-1])``.
        warmup_epochs: ``W`` (20 on CIFAR-100; 0 disables it, as on ImageNet).
        warmup_convention: ``'one_based'`` (mdistiller) or ``'zero_based'`` (the
            official ReviewKD and ER-ReviewKD CIFAR code): the number ``n`` of the
            first epoch in ``min(n / W, 1)``.
        loss_weight: ``lambda`` (``REVIEWKD_WEIGHT``; per pair, e.g. 5.0 for
            resnet32x4 -> resnet8x4).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms,
            whose mean is the loss).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 mid_channels: Optional[int] = None,
                 warmup_epochs: int = 20,
                 warmup_convention: str = 'one_based',
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if warmup_convention not in WARMUP_FIRST_EPOCH:
            raise ValueError(
                f'ReviewKDLoss: warmup_convention={warmup_convention!r}'
                f'{closest(warmup_convention, WARMUP_FIRST_EPOCH)}; expected one of '
                f"{', '.join(map(repr, WARMUP_FIRST_EPOCH))} (the number of the first "
                'epoch in the warm-up min(n / W, 1)).')
        if len(student_channels) != len(teacher_channels) or len(student_channels) < 2:
            raise ValueError(
                f'ReviewKDLoss: student_channels={list(student_channels)} and '
                f'teacher_channels={list(teacher_channels)} must list the same levels '
                '(at least one stage map, then the pooled vector).')
        self.student_channels = tuple(student_channels)
        self.teacher_channels = tuple(teacher_channels)
        if mid_channels is None:
            mid_channels = min(512, self.student_channels[-1])
        self.warmup_epochs = warmup_epochs
        self.warmup_convention = warmup_convention
        self.loss_weight = loss_weight
        self.reduction = reduction
        deepest = len(self.student_channels) - 1
        # Shallow to deep; the deepest level (the pooled vector) fuses nothing.
        self.abfs = nn.ModuleList(
            ABF(c_s, mid_channels, c_t, fuse=level < deepest) for level, (
                c_s, c_t) in enumerate(zip(self.student_channels, self.teacher_channels)))

    def forward(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                preact_feats_t: Sequence[Tensor], pooled_t: Tensor, epoch: int) -> Tensor:
        """Return the weighted ReviewKD term (a scalar unless ``reduction='none'``)."""
        per_sample = self.per_sample_hcl(feats_s, pooled_s, preact_feats_t, pooled_t)
        factor = self.loss_weight * self.warmup_factor(epoch)
        return reduce_per_sample(factor * per_sample, self.reduction)

    def warmup_factor(self, epoch: int) -> float:
        """``min(n / W, 1)`` at the runner's 0-based ``epoch``, ``n`` numbered by
        ``warmup_convention``; 1 without a warm-up (``W <= 0``)."""
        if self.warmup_epochs <= 0:
            return 1.0
        number = epoch + WARMUP_FIRST_EPOCH[self.warmup_convention]
        return min(number / self.warmup_epochs, 1.0)

    def per_sample_hcl(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                       feats_t: Sequence[Tensor], pooled_t: Tensor) -> Tensor:
        """The unweighted HCL of every sample (B,), summed over the levels."""
        levels_s, levels_t = self._checked_levels(feats_s, pooled_s, feats_t, pooled_t)
        reviewed = self.review(levels_s, [tuple(f.shape[-2:]) for f in levels_t])
        return sum(
            hcl_per_sample(upcast(f_s),
                           upcast(f_t).detach()) for f_s, f_t in zip(reviewed, levels_t))

    def check_shapes(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                     preact_feats_t: Sequence[Tensor], pooled_t: Tensor) -> None:
        """Raise a ValueError unless the tapped levels fit the ABFs (shape probe): one
        student and one teacher level per ABF, with its channels. The ABFs resize to
        the teacher's sizes, so any spatial sizes fit."""
        self._checked_levels(feats_s, pooled_s, preact_feats_t, pooled_t)

    def _checked_levels(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                        feats_t: Sequence[Tensor],
                        pooled_t: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        """The student and teacher levels, checked against the ABFs."""
        levels_s = self._levels('student', feats_s, pooled_s)
        levels_t = self._levels('teacher', feats_t, pooled_t)
        check_connector_stages('ReviewKDLoss', 'abfs', levels_s, levels_t,
                               self.student_channels, self.teacher_channels)
        return levels_s, levels_t

    def review(self, levels_s: Sequence[Tensor],
               out_sizes: Sequence[tuple]) -> List[Tensor]:
        """ABF outputs of every level, shallow to deep, from the deepest level up."""
        outputs: List[Tensor] = []
        residual = None
        for abf, x, out_size in zip(
                reversed(self.abfs), reversed(levels_s), reversed(out_sizes)):
            out, residual = abf(x, residual, out_size)
            outputs.insert(0, out)
        return outputs

    @staticmethod
    def _levels(role: str, feats: Sequence[Tensor], pooled: Tensor) -> List[Tensor]:
        if isinstance(feats, Tensor):
            raise ValueError(f'ReviewKDLoss: the {role} feats must be a tuple of stage '
                             f'maps (B, C, H, W), shallow to deep; got one tensor of '
                             f'shape {tuple(feats.shape)}.')
        if pooled.dim() != 2:
            raise ValueError(f'ReviewKDLoss: the {role} pooled vector must be (B, D), '
                             f'got {tuple(pooled.shape)}; tap the classifier input.')
        return [*feats, pooled[:, :, None, None]]
