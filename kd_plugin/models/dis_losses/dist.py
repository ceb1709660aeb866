import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import upcast


def _pearson_rows(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """Pearson correlation of each row of ``a`` with the same row of ``b``, as in the
    reference: ``<a - mean a, b - mean b> / (|a - mean a| |b - mean b| + eps)``."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """Knowledge distillation from a stronger teacher (DIST).

    Huang et al. "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022.

    With ``Y = softmax(z / tau)`` (B x C) and ``rho`` the Pearson correlation:

    .. math::
        L_{inter} = 1 - \\frac{1}{B} \\sum_i \\rho(Y^s_{i,:}, Y^t_{i,:}), \\qquad
        L_{intra} = 1 - \\frac{1}{C} \\sum_c \\rho(Y^s_{:,c}, Y^t_{:,c})

        L_{DIST} = w \\, \\tau^2 (\\beta L_{inter} + \\gamma L_{intra})

    This is image_classification_sota's ``DIST`` (the code of hunto/DIST_KD), which
    matches the paper; ``rho`` adds 1e-8 to the product of the norms. The intra-class
    term correlates each class column over the batch, so the loss is a batch statistic:
    there is no per-sample form (no ``reduction``), and under data parallelism it is
    computed per device batch, as the reference does.

    Args:
        beta: ``beta``, weight of the inter-class (per-sample) relation.
        gamma: ``gamma``, weight of the intra-class (per-class) relation.
        temperature: ``tau``. ImageNet: 1, CIFAR-100: 4.
        loss_weight: ``w``. The reference recipes use 2 with the student's
            cross-entropy at weight 1 (ImageNet and CIFAR-100).
    """

    def __init__(self,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.beta = beta
        self.gamma = gamma
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted DIST term (a scalar)."""
        temperature = self.temperature
        y_s = F.softmax(upcast(logits_s) / temperature, dim=1)
        y_t = F.softmax(upcast(logits_t) / temperature, dim=1)
        inter = 1 - _pearson_rows(y_s, y_t).mean()
        intra = 1 - _pearson_rows(y_s.t(), y_t.t()).mean()
        return self.loss_weight * temperature**2 * (
            self.beta * inter + self.gamma * intra)
