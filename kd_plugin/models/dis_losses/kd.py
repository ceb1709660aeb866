import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import reduce_per_sample, temperature_scaled_kl


@MODELS.register_module()
class KDLoss(nn.Module):
    """Vanilla knowledge distillation.

    Hinton, Vinyals, Dean. "Distilling the Knowledge in a Neural Network", 2015.

    .. math::
        L_{KD} = w \\, T^2 \\, \\frac{1}{B} \\sum_i
                 \\mathrm{KL}\\big(\\mathrm{softmax}(z^t_i / T) \\,\\|\\,
                 \\mathrm{softmax}(z^s_i / T)\\big)

    This is mdistiller's ``kd_loss`` (sum over classes, mean over the batch, times
    ``T^2``). cls_KD's variant, the cross-entropy form, differs from it by the teacher
    entropy, a constant with the same gradient. The KL term is computed in float64
    without cancellation (:func:`~.utils.temperature_scaled_kl`), so it stays accurate
    in float32 at any temperature.

    Args:
        temperature: Softmax temperature ``T``. CIFAR-100: 4, ImageNet: 1.
        loss_weight: Weight ``w`` of the term (0.9 on CIFAR-100, with the student's
            cross-entropy scaled by the distiller's ``student_loss_weight=0.1``).
        reduction: ``'mean'`` over the batch, ``'sum'``, or ``'none'`` for the (B,)
            per-sample values that wrappers such as entropy reweighting need.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted KD term (a scalar unless ``reduction='none'``)."""
        per_sample = temperature_scaled_kl(logits_s, logits_t, self.temperature)
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
