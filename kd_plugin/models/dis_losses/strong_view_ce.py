import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import upcast


@MODELS.register_module()
class StrongViewCELoss(nn.Module):
    """Cross-entropy of the student on the second (strongly augmented) view.

    Two-view methods train the student on both views: MLKD's reference adds
    ``w_ce * CE(z_s^strong, y)`` to the cross-entropy of the main view, which the
    student's own head computes (scaled by the distiller's ``student_loss_weight``).

    .. math:: L = w \\, \\frac{1}{B} \\sum_i \\mathrm{CE}(z^{s,strong}_i, y_i)

    ``target`` may be (B,) labels or (B, C) soft scores (soft cross-entropy).

    Args:
        loss_weight: ``w``; MLKD on CIFAR-100 uses the same 0.1 as its main-view CE.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits_s_strong: Tensor, target: Tensor) -> Tensor:
        logits = upcast(logits_s_strong)
        if target.dim() == 2:
            target = target.to(logits.dtype)
        return self.loss_weight * F.cross_entropy(logits, target)
