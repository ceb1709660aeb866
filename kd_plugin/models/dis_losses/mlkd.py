from typing import Optional, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, below_median, standardize_logits, upcast

# The temperatures after the base one, in the reference's order. In its "strong"
# group the entries flagged here (T=2 and T=6) use the weak-view logits.
AUGMENTED_TEMPERATURES = (3.0, 5.0, 2.0, 6.0)
WEAK_IN_STRONG_GROUP = (False, False, False, True, True)


@MODELS.register_module()
class MLKDLoss(nn.Module):
    """Multi-Level Logit Distillation (MLKD, also called MLD).

    Jin, Wang, Lin. "Multi-Level Logit Distillation", CVPR 2023; code:
    Jin-Ying/Multi-Level-Logit-Distillation ``mdistiller/distillers/KD_ours.py``
    (``KD_ours.forward_train``, ``kd_loss``, ``cc_loss``, ``bc_loss``).

    Predictions are aligned at three levels, each at every temperature of
    ``S = {T_0, 3, 5, 2, 6}`` ("prediction augmentation"), with ``P = softmax(z / T)``
    of shape (B, C):

    .. math::
        KD_T = T^2 \\frac{1}{B} \\sum_i \\mathrm{KL}(P^t_i \\| P^s_i), \\quad
        CC_T = \\frac{1}{C} \\|P^{t\\top} P^t - P^{s\\top} P^s\\|_F^2, \\quad
        BC_T = \\frac{1}{B} \\|P^t P^{t\\top} - P^s P^{s\\top}\\|_F^2

    (no ``T^2`` on the class / batch correlation terms). Two views are distilled: the
    weak view (``logits_s``, ``logits_t``) and a strongly augmented view
    (``logits_s_strong``, ``logits_t_strong``). Confidence masks come from the teacher's
    weak-view softmax at T=1: sample mask ``m_i = [max_c p_ic <= median]`` and class
    mask ``k_c = [sum_i p_ic <= median]`` (numpy's 50th percentile over the batch).

    ``match_reference=True`` (default) reproduces the reference code, every quirk kept:

    .. math::
        L = w \\Big[ f_m \\sum_{T \\in S} KD_T(\\mathrm{weak})
            + KD_{T_0}(\\mathrm{str}) + KD_3(\\mathrm{str}) + KD_5(\\mathrm{str})
            + KD_2(\\mathrm{weak}) + KD_6(\\mathrm{weak})
            + f_k \\sum_{T \\in S} CC_T(\\mathrm{weak})
            + f_m \\sum_{T \\in S} BC_T(\\mathrm{weak}) \\Big]

    * the masks multiply already-reduced scalars, so they only scale each term by the
      fraction ``f_m`` / ``f_k`` of their ones (0.5 for an even count without ties);
    * the "strong" group uses the **weak** logits for T=2 and T=6 (copy-paste slip);
    * the strong-view CC and BC terms are computed by the reference but not added.

    ``match_reference=False`` keeps the reference's structure with those three slips
    fixed (the paper text was not available to check it term by term): masks act per
    element (``(1/B) sum_i m_i KD_T,i``; a Gram entry counts when both of its indices
    are selected, e.g. ``(1/B) sum_ij m_i m_j (dG_ij)^2``), the strong group uses the
    strong logits at all five temperatures, and the strong-view CC (unmasked) and BC
    (sample mask) that the reference computes are added:

    .. math::
        L = w \\sum_{T \\in S} \\Big[ KD^m_T(\\mathrm{weak}) + KD_T(\\mathrm{str})
            + CC^k_T(\\mathrm{weak}) + CC_T(\\mathrm{str})
            + BC^m_T(\\mathrm{weak}) + BC^m_T(\\mathrm{str}) \\Big]

    Batch statistics are taken over the batch given to the loss (per GPU under DDP, as
    the reference per DataParallel chunk). The student's cross-entropy, on both views in
    the reference (``w_ce * (CE(weak) + CE(strong))``), is not part of this term.

    ``logit_standardization=True`` is "MLKD + LS" (Sun et al. "Logit Standardization
    in Knowledge Distillation", CVPR 2024; sunshangquan/logit-standardization-KD
    ``mdistiller/distillers/MLKD.py``, ``kd_loss(..., logit_stand=True)``): both logits
    of every instance-level ``KD_T`` term, on both views, are standardised
    (``standardize_logits``) before the temperature. As in that code, the CC / BC terms
    and the confidence masks use the raw logits; the recipe's base temperature is
    ``T_0`` and its kd weight is ``w`` (e.g. ``temperature=2, loss_weight=9``).

    Args:
        temperature: Base temperature ``T_0`` (4 on CIFAR-100, 1 on ImageNet).
        loss_weight: Weight ``w`` (the reference's ``KD_WEIGHT``: 0.9 on CIFAR-100 with
            CE 0.1, 0.5 on ImageNet with CE 0.5).
        match_reference: Reproduce the reference code (default) or the fixed version.
        logit_standardization: Standardise the logits of the instance-level KD terms
            (MLKD + LS).
    """

    def __init__(self,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 match_reference: bool = True,
                 logit_standardization: bool = False) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.match_reference = match_reference
        self.logit_standardization = logit_standardization

    def instance_kd(self, view: Tuple[Tensor, Tensor], temperature: float) -> Tensor:
        """Per-sample instance-level term ``T^2 KL(p_t || p_s)`` of one view, (B,).

        Subclasses reweight it (:class:`ERMLKDLoss`); the CC / BC terms do not use it.
        """
        if self.logit_standardization:
            view = tuple(standardize_logits(logits) for logits in view)
        return _kd(*_log_probs(view, temperature), temperature)

    def forward(self, logits_s: Tensor, logits_t: Tensor, logits_s_strong: Tensor,
                logits_t_strong: Tensor) -> Tensor:
        """Return the weighted MLKD term (a scalar)."""
        with autocast_off(logits_s):
            weak = upcast(logits_s), upcast(logits_t)
            strong = upcast(logits_s_strong), upcast(logits_t_strong)
            probs_t = F.softmax(weak[1], dim=1)
            sample_mask = below_median(probs_t.max(dim=1).values).to(probs_t)
            class_mask = below_median(probs_t.sum(dim=0)).to(probs_t)
            temperatures = (self.temperature, ) + AUGMENTED_TEMPERATURES
            if self.match_reference:
                total = self._reference(weak, strong, temperatures, sample_mask,
                                        class_mask)
            else:
                total = self._fixed(weak, strong, temperatures, sample_mask, class_mask)
            return self.loss_weight * total

    def _reference(self, weak: Tuple[Tensor, Tensor], strong: Tuple[Tensor, Tensor],
                   temperatures: Tuple[float, ...], sample_mask: Tensor,
                   class_mask: Tensor) -> Tensor:
        """The reference's sum: masks as fractions, weak logits at T=2, 6 of the strong
        group, strong-view CC / BC left out."""
        sample_fraction, class_fraction = sample_mask.mean(), class_mask.mean()
        total = 0.
        for temperature, weak_in_strong in zip(temperatures, WEAK_IN_STRONG_GROUP):
            kd_weak = self.instance_kd(weak, temperature).mean()
            probs_s, probs_t = (log_p.exp() for log_p in _log_probs(weak, temperature))
            total = total + sample_fraction * kd_weak \
                + class_fraction * _class_correlation(probs_s, probs_t) \
                + sample_fraction * _batch_correlation(probs_s, probs_t)
            if weak_in_strong:
                total = total + kd_weak
            else:
                total = total + self.instance_kd(strong, temperature).mean()
        return total

    def _fixed(self, weak: Tuple[Tensor, Tensor], strong: Tuple[Tensor, Tensor],
               temperatures: Tuple[float, ...], sample_mask: Tensor,
               class_mask: Tensor) -> Tensor:
        """Per-element masks, strong logits throughout, strong CC / BC included."""
        total = 0.
        for temperature in temperatures:
            probs_s, probs_t = (log_p.exp() for log_p in _log_probs(weak, temperature))
            total = total + (sample_mask * self.instance_kd(weak, temperature)).mean() \
                + _class_correlation(probs_s, probs_t, class_mask) \
                + _batch_correlation(probs_s, probs_t, sample_mask)
            probs_s, probs_t = (log_p.exp() for log_p in _log_probs(strong, temperature))
            total = total + self.instance_kd(strong, temperature).mean() \
                + _class_correlation(probs_s, probs_t) \
                + _batch_correlation(probs_s, probs_t, sample_mask)
        return total


def _log_probs(view: Tuple[Tensor, Tensor], temperature: float) -> Tuple[Tensor, Tensor]:
    """Student and teacher log-softmax of one view at ``temperature``."""
    return tuple(F.log_softmax(logits / temperature, dim=1) for logits in view)


def _kd(log_s: Tensor, log_t: Tensor, temperature: float) -> Tensor:
    """Per-sample ``T^2 KL(p_t || p_s)``, shape (B,)."""
    kl = F.kl_div(log_s, log_t, reduction='none', log_target=True).sum(1)
    return kl * temperature**2


def _gram_gap(gram_s: Tensor, gram_t: Tensor, mask: Optional[Tensor]) -> Tensor:
    """``sum (G_t - G_s)^2`` over the entries whose two indices are both in ``mask``."""
    gap = (gram_t - gram_s).pow(2)
    if mask is not None:
        gap = gap * mask[:, None] * mask[None, :]
    return gap.sum()


def _class_correlation(probs_s: Tensor,
                       probs_t: Tensor,
                       class_mask: Optional[Tensor] = None) -> Tensor:
    """``CC_T``: C x C Gram gap divided by C (optionally restricted to masked classes)."""
    gap = _gram_gap(probs_s.T @ probs_s, probs_t.T @ probs_t, class_mask)
    return gap / probs_s.size(1)


def _batch_correlation(probs_s: Tensor,
                       probs_t: Tensor,
                       sample_mask: Optional[Tensor] = None) -> Tensor:
    """``BC_T``: B x B Gram gap divided by B (optionally restricted to masked samples)."""
    gap = _gram_gap(probs_s @ probs_s.T, probs_t @ probs_t.T, sample_mask)
    return gap / probs_s.size(0)
