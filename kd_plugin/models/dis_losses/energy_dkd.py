"""Energy DKD (Kim et al., Knowledge-Based Systems 2024)."""
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .energy_kd import EnergyTemperatureModule
from .utils import (
    decoupled_log_probs,
    hard_labels,
    reduce_per_sample,
    upcast,
    warmup_factor,
)


@MODELS.register_module()
class EnergyDKDLoss(EnergyTemperatureModule):
    """Energy DKD: decoupled KD with the per-sample temperature of Energy KD.

    Kim, Ham, Lee, Jang, Kim. "Maximizing Discrimination Capability of Knowledge
    Distillation with Energy Function", Knowledge-Based Systems 296:111911, 2024
    (arXiv 2311.14334); reference code Seonghak35/EnergyKD ``energyDKD``.

    ``T_i`` as in :class:`EnergyKDLoss` (from the teacher energy and the dataset
    thresholds of ``EnergyThresholdHook``); with ``b`` / ``q`` the binary and
    non-target distributions of DKD (:class:`DKDLoss`) at temperature ``T_i``:

    .. math::
        L = w \\, \\min\\big(\\tfrac{e + 1}{W}, 1\\big) \\, \\frac{1}{B} \\sum_i T_i^2
            \\big(\\alpha \\, \\mathrm{KL}(b^t_i \\| b^s_i)
                  + \\beta \\, \\mathrm{KL}(q^t_i \\| q^s_i)\\big)

    With all ``T_i = T`` this is :class:`DKDLoss` at ``T``. ``e`` is the runner's 0-based
    epoch (the reference's ``min(epoch / W, 1)`` counts from 1). ``match_reference``
    selects the code's (True) or the paper's (False) temperature mapping, see
    :class:`EnergyKDLoss`. As in :class:`DKDLoss`, the binary / non-target terms come
    from logsumexp rather than the code's ``log`` of summed probabilities and its
    ``-1000`` mask (equal in exact arithmetic, no underflow).

    Args:
        alpha: Weight of TCKD (1).
        beta: Weight of NCKD (8; 6 in the reference's VGG13->VGG8 config).
        low_temperature / mid_temperature / high_temperature: 2 / 4 / 6.
        energy_temperature: ``T_e`` = 4.
        warmup_epochs: ``W`` = 20; ``0`` disables the warm-up.
        match_reference: Temperature mapping of the code (True) or the paper (False).
        loss_weight: ``w`` (1; the student CE weight is 1 too).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 low_temperature: float = 2.0,
                 mid_temperature: float = 4.0,
                 high_temperature: float = 6.0,
                 energy_temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 match_reference: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__(low_temperature, mid_temperature, high_temperature,
                         energy_temperature, match_reference)
        self.alpha = alpha
        self.beta = beta
        self.warmup_epochs = warmup_epochs
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted, warmed-up Energy DKD term."""
        logits_s, logits_t = upcast(logits_s), upcast(logits_t)
        temperature = self.sample_temperatures(logits_t).to(logits_s.dtype)[:, None]
        gt_mask = F.one_hot(hard_labels(target), logits_s.shape[1]).bool()
        log_b_s, log_q_s = decoupled_log_probs(logits_s / temperature, gt_mask)
        log_b_t, log_q_t = decoupled_log_probs(logits_t / temperature, gt_mask)
        tckd = F.kl_div(log_b_s, log_b_t, reduction='none', log_target=True).sum(1)
        q_t = log_q_t.exp().masked_fill(gt_mask, 0.0)
        nckd = (q_t * (log_q_t - log_q_s)).sum(1)
        per_sample = (self.alpha * tckd + self.beta * nckd) * temperature.squeeze(1)**2
        scale = self.loss_weight * warmup_factor(epoch, self.warmup_epochs)
        return scale * reduce_per_sample(per_sample, self.reduction)
