from typing import Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import (
    decoupled_log_probs,
    hard_labels,
    reduce_per_sample,
    standardize_logits,
    upcast,
    warmup_factor,
)


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled knowledge distillation.

    Zhao et al. "Decoupled Knowledge Distillation", CVPR 2022.

    With ``p = softmax(z / T)``, the binary target / non-target distribution
    ``b = [p_y, sum_{c != y} p_c]`` and the non-target distribution
    ``q_c = p_c / sum_{c' != y} p_{c'}`` (c != y):

    .. math::
        \\mathrm{TCKD}_i = T^2 \\, \\mathrm{KL}(b^t_i \\,\\|\\, b^s_i), \\qquad
        \\mathrm{NCKD}_i = T^2 \\, \\mathrm{KL}(q^t_i \\,\\|\\, q^s_i)

        L_{DKD} = w \\, \\min\\big(\\tfrac{e + 1}{W}, 1\\big) \\, \\frac{1}{B} \\sum_i
                  (\\alpha \\, \\mathrm{TCKD}_i + \\beta \\, \\mathrm{NCKD}_i)

    This is mdistiller's ``dkd_loss`` with its warm-up (``e`` is the 0-based epoch;
    mdistiller's ``min(epoch / W, 1)`` counts from 1). The code matches the paper. Two
    numerical differences, equal in exact arithmetic: mdistiller takes ``log`` of the
    summed probabilities (``log 0`` = inf when ``sum_{c != y} p_c`` underflows, e.g. at
    T = 1 under AMP) and builds ``q`` by subtracting 1000 from the label logit; here
    both come from logsumexp in float32 or wider. KD is ``TCKD + (1 - b^t_y) NCKD``:
    DKD replaces the coupled weight by the constant ``beta``.

    ``target`` is (B,) labels or (B, C) soft scores (Mixup/CutMix), which are reduced
    to their argmax: the split into target / non-target needs one class per sample
    (neither mdistiller nor cls_KD take soft labels; cls_KD's NKD takes the argmax).

    Args:
        alpha: Weight of TCKD.
        beta: Weight of NCKD. CIFAR-100: 8 (2 for ResNet56/110 teachers, 6 for
            WRN-40-2 / VGG13 pairs); ImageNet: 0.5 (R34->R18), 2 (R50->MV1).
        temperature: ``T``. CIFAR-100: 4, ImageNet: 1.
        warmup_epochs: ``W``, linear warm-up length (CIFAR-100: 20, ImageNet: 1);
            ``0`` disables it.
        loss_weight: ``w``.
        logit_standardization: Standardise both logits (``standardize_logits``) before
            the temperature, as "DKD + LS" (Sun et al. CVPR 2024) does; that recipe also
            multiplies alpha and beta by its ``kd_weight`` and uses its base temperature
            as ``T`` (e.g. ``alpha=9, beta=72, temperature=2``), set in the config.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms).
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 loss_weight: float = 1.0,
                 logit_standardization: bool = False,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmup_epochs = warmup_epochs
        self.loss_weight = loss_weight
        self.logit_standardization = logit_standardization
        self.reduction = reduction

    def decoupled_terms(self, logits_s: Tensor, logits_t: Tensor,
                        target: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Per-sample ``TCKD_i`` and ``NCKD_i`` (``T^2`` included, (B,) each), and the
        teacher's binary log-probabilities ``log b^t`` (B, 2)."""
        prepare = standardize_logits if self.logit_standardization else upcast
        temperature = self.temperature
        labels = hard_labels(target)
        gt_mask = F.one_hot(labels, logits_s.shape[1]).bool()
        log_b_s, log_q_s = decoupled_log_probs(prepare(logits_s) / temperature, gt_mask)
        log_b_t, log_q_t = decoupled_log_probs(prepare(logits_t) / temperature, gt_mask)
        tckd = F.kl_div(log_b_s, log_b_t, reduction='none', log_target=True).sum(1)
        q_t = log_q_t.exp().masked_fill(gt_mask, 0.0)
        nckd = (q_t * (log_q_t - log_q_s)).sum(1)
        return tckd * temperature**2, nckd * temperature**2, log_b_t

    def forward(self, logits_s: Tensor, logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted, warmed-up DKD term (a scalar unless
        ``reduction='none'``)."""
        tckd, nckd, _ = self.decoupled_terms(logits_s, logits_t, target)
        per_sample = self.alpha * tckd + self.beta * nckd
        scale = self.loss_weight * warmup_factor(epoch, self.warmup_epochs)
        return scale * reduce_per_sample(per_sample, self.reduction)
