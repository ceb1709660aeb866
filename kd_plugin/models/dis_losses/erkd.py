import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .kd import KDLoss
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class ERKDLoss(nn.Module):
    """KD with entropy reweighting (ER-KD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1
    (later versions: EA-KD). Reference code: cpsu00/ER-KD
    (``mdistiller/distillers/KD.py::er_kd_loss``).

    Each sample's KD term is weighted by the entropy of the teacher's prediction at
    ``t_H`` (``teacher_entropy``: natural log, probabilities clamped at 1e-10 inside the
    log as in the reference, detached):

    .. math::
        H_i = -\\sum_c q_{i,c} \\log q_{i,c}, \\quad q = \\mathrm{softmax}(z^t / t_H),
        \\qquad L_{ER\\text{-}KD} = w \\, T^2 \\, \\frac{1}{B} \\sum_i H_i \\,
        \\mathrm{KL}\\big(\\mathrm{softmax}(z^t_i/T) \\,\\|\\,
        \\mathrm{softmax}(z^s_i/T)\\big)

    No deviation of the code from the paper is known. The reference always calls ``er_kd_loss`` with
    ``t_H = 4`` (its ``--t`` option does not reach it): ``entropy_temperature`` keeps
    that value by default. The reference takes ``log(softmax(.))`` of the student
    (``-inf`` once a probability underflows); here the log-softmax of :class:`KDLoss`.

    Entropy reweighting applies the same way to any loss with per-sample values
    (``reduction='none'``): ``teacher_entropy(logits_t, t_H) * per_sample``, then the
    reduction. See :class:`ERDKDLoss` for DKD.

    Args:
        temperature: ``T`` of the KD term. CIFAR-100: 4.
        entropy_temperature: ``t_H``, temperature of the teacher entropy (4).
        loss_weight: ``w`` (0.9 on CIFAR-100 with the student's CE at 0.1).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms).
    """

    def __init__(self,
                 temperature: float = 4.0,
                 entropy_temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.kd = KDLoss(temperature=temperature, loss_weight=loss_weight,
                         reduction='none')
        self.entropy_temperature = entropy_temperature
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted ER-KD term (a scalar unless ``reduction='none'``)."""
        weights = teacher_entropy(logits_t, self.entropy_temperature)
        per_sample = weights * self.kd(logits_s=logits_s, logits_t=logits_t)
        return reduce_per_sample(per_sample, self.reduction)
