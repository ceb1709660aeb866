import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import reduce_per_sample, standardize_logits, upcast


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; the backward multiplies the incoming gradient by ``scale``.

    CTKD's gradient reversal layer: it flips no sign itself, the reversal comes from a
    negative ``scale`` (the curriculum's lambda).
    """

    @staticmethod
    def forward(ctx, tensor: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None]:
        return grad * ctx.scale, None


@MODELS.register_module()
class CTKDLoss(nn.Module):
    """KD with a curriculum-learned global temperature (CTKD).

    Li et al. "Curriculum Temperature for Knowledge Distillation", AAAI 2023.

    The temperature is learned adversarially: ``theta`` (an ``nn.Parameter`` of this
    loss, so it trains with the student) passes a gradient-reversal layer whose
    backward multiplies the gradient by ``lambda(e)``, then

    .. math::
        T = t_{start} + t_{end} \\, \\sigma(\\theta), \\qquad
        L = w \\, T^2 \\, \\frac{1}{B} \\sum_i \\mathrm{KL}\\big(\\mathrm{softmax}(
            z^t_i / T) \\,\\|\\, \\mathrm{softmax}(z^s_i / T)\\big)

    so the student minimises ``L`` while ``theta`` gets ``lambda(e) dL/dtheta``, with
    ``lambda <= 0`` (it ascends ``L``, scaled by ``|lambda|``). ``T`` carries gradient
    through both softmaxes and ``T^2``. The cosine curriculum, with the reference's
    1-based epoch ``e + 1``:

    .. math::
        \\lambda(e) = \\lambda_{min} + (\\lambda_{max} - \\lambda_{min}) \\,
            \\frac{1 + \\cos(\\pi \\min(e + 1, L) / L)}{2}

    goes from -0.0245 (first epoch) to -1 (from epoch index ``L - 1`` on) with the
    defaults. This is zhengli97/CTKD's ``Global_T`` + ``DistillKL`` + ``CosineDecay``
    (argparse ``--t_start --t_end --decay_max --decay_min --decay_loops``); it matches
    the paper. The reference's ``theta`` is in the student's SGD optimizer with the same
    learning rate, momentum and weight decay (5e-4 on CIFAR): the distiller's optimizer
    must hold this loss's parameters. Recipes: CIFAR-100 ``loss_weight=0.9`` with the
    student's CE at 0.1, ``lambda_epochs=10``; ImageNet ``loss_weight=1``, CE 1,
    ``lambda_epochs=5``.

    Args:
        t_start: Lower end of the temperature range.
        t_end: Width of the temperature range (``T`` lies in (t_start, t_start + t_end)).
        init_theta: Initial ``theta`` (1: ``T = 1 + 20 sigmoid(1) = 15.62``).
        lambda_max: ``lambda`` at the start of the curriculum.
        lambda_min: ``lambda`` at its end.
        lambda_epochs: ``L``, epochs of the cosine curriculum (CIFAR 10, ImageNet 5);
            ``0`` uses ``lambda_min`` from the start.
        loss_weight: ``w``.
        logit_standardization: Standardise both logits (``standardize_logits``) before
            dividing by the learned ``T`` ("CTKD + LS", Sun et al. CVPR 2024, with
            ``loss_weight=9``), exactly as that repository's CTKD copy:
            ``(z - mean) / (1e-7 + std)``, unbiased std
            (sunshangquan/logit-standardization-KD@f6e5aa5:
            ``CTKD/distiller_zoo/KD.py``).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms).
    """

    def __init__(self,
                 t_start: float = 1.0,
                 t_end: float = 20.0,
                 init_theta: float = 1.0,
                 lambda_max: float = 0.0,
                 lambda_min: float = -1.0,
                 lambda_epochs: int = 10,
                 loss_weight: float = 1.0,
                 logit_standardization: bool = False,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.t_start = t_start
        self.t_end = t_end
        self.theta = nn.Parameter(torch.tensor(float(init_theta)))
        self.lambda_max = lambda_max
        self.lambda_min = lambda_min
        self.lambda_epochs = lambda_epochs
        self.loss_weight = loss_weight
        self.logit_standardization = logit_standardization
        self.reduction = reduction

    def gradient_scale(self, epoch: int) -> float:
        """``lambda`` of the cosine curriculum at the runner's 0-based ``epoch``."""
        if self.lambda_epochs <= 0:
            return self.lambda_min
        progress = min(epoch + 1, self.lambda_epochs) / self.lambda_epochs
        cosine = (1 + math.cos(math.pi * progress)) / 2
        return self.lambda_min + (self.lambda_max - self.lambda_min) * cosine

    def temperature(self, epoch: int) -> Tensor:
        """The learned temperature (a 0-dim tensor), behind the gradient reversal."""
        theta = _ScaleGradient.apply(self.theta, self.gradient_scale(epoch))
        return self.t_start + self.t_end * torch.sigmoid(theta)

    def forward(self, logits_s: Tensor, logits_t: Tensor, epoch: int) -> Tensor:
        """Return the weighted KD term at the learned temperature."""
        prepare = standardize_logits if self.logit_standardization else upcast
        temperature = self.temperature(epoch)
        log_p_s = F.log_softmax(prepare(logits_s) / temperature, dim=1)
        log_p_t = F.log_softmax(prepare(logits_t) / temperature, dim=1)
        per_sample = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
        per_sample = per_sample * temperature**2
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
