import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, upcast


@MODELS.register_module()
class CLKDLoss(nn.Module):
    """Class-aware Logit Knowledge Distillation (CLKD).

    Zhang, Liu, Hopcroft, He. "Class-aware Information for Logit-based Knowledge
    Distillation", arXiv 2211.14773, 2022. No official code was found; this follows the
    re-implementation in HyunJunSik/StreamLined ``Distiller/CLKD.py`` (``CLKD_loss`` and
    the ``CLKD`` distiller's weights), the baseline of the SKD paper's tables. Another
    unofficial port (normalised-MSE terms) is not numerically equivalent.

    With ``rownorm`` the L2 normalisation of each row and ``MSE`` the element mean of
    squared differences:

    .. math::
        L_{ins} = \\mathrm{MSE}(\\mathrm{rownorm}(Z^s), \\mathrm{rownorm}(Z^t)), \\qquad
        L_{cla} = \\mathrm{MSE}(\\mathrm{rownorm}(Z^{s\\top}),
                                \\mathrm{rownorm}(Z^{t\\top}))

        M = \\frac{(Z - \\bar Z)^\\top (Z - \\bar Z)}{C - 1}, \\qquad
        L_{cc} = \\frac{1}{C^2} \\| M^s - M^t \\|_F

        L = w \\, (\\mu \\, L_{ins} + \\kappa \\, L_{cla} + \\nu \\, L_{cc})

    ``Z`` is the (B, C) logit matrix, ``\\bar Z`` its batch mean: ``L_ins`` compares
    each sample's logit direction, ``L_cla`` each class's logit direction over the batch,
    ``L_cc`` the C x C class covariance. As in that code the covariance divides by
    ``C - 1`` (not ``B - 1``) and the Frobenius norm is not squared. StreamLined uses
    ``0.5 (L_ins + 2 L_cla) + 0.4 L_cc`` with the student's cross-entropy at 0.1, i.e.
    ``mu = 0.5``, ``kappa = 1.0``, ``nu = 0.4`` (the defaults). ``L_cla`` and ``L_cc``
    are batch-level terms, so there is no per-sample reduction. The matrix products run
    in float32 with autocast off (the C x C products of raw logits overflow fp16).

    Args:
        instance_weight: ``mu``, weight of the instance-level term.
        class_weight: ``kappa``, weight of the class-level term.
        correlation_weight: ``nu``, weight of the class-correlation term.
        loss_weight: Overall weight ``w``.
    """

    def __init__(self,
                 instance_weight: float = 0.5,
                 class_weight: float = 1.0,
                 correlation_weight: float = 0.4,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.instance_weight = instance_weight
        self.class_weight = class_weight
        self.correlation_weight = correlation_weight
        self.loss_weight = loss_weight

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted CLKD term (a scalar)."""
        with autocast_off(logits_s):
            logits_s, logits_t = upcast(logits_s), upcast(logits_t)
            instance = F.mse_loss(
                F.normalize(logits_s, dim=1), F.normalize(logits_t, dim=1))
            klass = F.mse_loss(F.normalize(logits_s, dim=0), F.normalize(logits_t, dim=0))
            gap = _class_covariance(logits_s) - _class_covariance(logits_t)
            num_classes = logits_s.size(1)
            correlation = torch.linalg.matrix_norm(gap) / num_classes**2
            return self.loss_weight * (
                self.instance_weight * instance + self.class_weight * klass +
                self.correlation_weight * correlation)


def _class_covariance(logits: Tensor) -> Tensor:
    """C x C scatter of the batch-centred logits divided by ``C - 1`` (the port's)."""
    centred = logits - logits.mean(dim=0, keepdim=True)
    return centred.T @ centred / (logits.size(1) - 1)
