from typing import Optional, Sequence

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .reviewkd import ReviewKDLoss
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class ERReviewKDLoss(nn.Module):
    """ReviewKD with entropy reweighting (ER-ReviewKD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1.
    Reference code: cpsu00/ER-KD (``ER-ReviewKD/CIFAR-100``).

    Every squared error of the hierarchical context loss (the full maps and the pooled
    pyramid, at every level) is weighted by the entropy ``H_b`` of the teacher's
    prediction for its sample (``teacher_entropy`` at ``t_H = 4``, detached) before the
    mean over all elements. Since every sample contributes equally many elements, that
    is the batch mean of ``H_b`` times the per-sample HCL of :class:`ReviewKDLoss`:

    .. math::
        L_{ER\\text{-}ReviewKD} = \\lambda \\, \\min\\big(\\tfrac{e + 1}{W}, 1\\big)
            \\frac{1}{B} \\sum_b H_b \\sum_j \\mathrm{HCL}_b\\big(\\mathrm{ABF}_j(x_j,
            r_{j+1}), F^t_j\\big)

    The fusion modules, inputs and settings are those of :class:`ReviewKDLoss` (its
    module is ``reviewkd``). The reference hard-codes ``t_H = 4``; it also keeps the
    official ReviewKD CIFAR set-up (teacher in train mode, now under ``no_grad``;
    CIFAR-10 normalisation with the CRD teachers, batch 128, lr 0.1, Nesterov), which
    the distiller's eval-mode teacher and the shared CIFAR-100 recipe do not
    reproduce.

    Args:
        student_channels: As :class:`ReviewKDLoss`.
        teacher_channels: As :class:`ReviewKDLoss`.
        mid_channels: As :class:`ReviewKDLoss`.
        entropy_temperature: ``t_H``, temperature of the teacher entropy (4).
        warmup_epochs: As :class:`ReviewKDLoss` (20).
        loss_weight: ``lambda`` (5.0 for resnet32x4 -> resnet8x4).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 mid_channels: Optional[int] = None,
                 entropy_temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.reviewkd = ReviewKDLoss(student_channels, teacher_channels, mid_channels,
                                     warmup_epochs=warmup_epochs, loss_weight=loss_weight,
                                     reduction='none')
        self.entropy_temperature = entropy_temperature
        self.reduction = reduction

    def forward(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                preact_feats_t: Sequence[Tensor], pooled_t: Tensor, logits_t: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted ER-ReviewKD term (a scalar unless ``reduction='none'``)."""
        weights = teacher_entropy(logits_t, self.entropy_temperature)
        per_sample = self.reviewkd(feats_s=feats_s, pooled_s=pooled_s,
                                   preact_feats_t=preact_feats_t, pooled_t=pooled_t,
                                   epoch=epoch)
        return reduce_per_sample(weights.to(per_sample.dtype) * per_sample,
                                 self.reduction)

    def check_shapes(self, feats_s: Sequence[Tensor], pooled_s: Tensor,
                     preact_feats_t: Sequence[Tensor], pooled_t: Tensor) -> None:
        """Raise a ValueError unless the tapped levels fit the ABFs (shape probe), as
        :meth:`ReviewKDLoss.check_shapes`."""
        self.reviewkd.check_shapes(feats_s=feats_s, pooled_s=pooled_s,
                                   preact_feats_t=preact_feats_t, pooled_t=pooled_t)
