import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .kd import KDLoss
from .utils import hard_labels, reduce_per_sample, upcast


def _per_sample(log_p_t: Tensor, log_q_s: Tensor, match_reference: bool) -> Tensor:
    """(B,) ``KL(p_t || q_s)``, divided by ``C`` as ``nn.KLDivLoss()`` in reference
    mode."""
    kl = F.kl_div(log_q_s, log_p_t, reduction='none', log_target=True).sum(1)
    return kl / log_q_s.shape[1] if match_reference else kl


@MODELS.register_module()
class TfKDSelfLoss(KDLoss):
    """Teacher-free KD with a self-teacher (Tf-KD_self): KD from a trained copy of the
    student.

    Yuan, Tay, Li, Wang, Feng. "Revisiting Knowledge Distillation via Label Smoothing
    Regularization", CVPR 2020 (arXiv 1909.11723), Section 5.

    The teacher is the student's own architecture, trained alone first (its
    checkpoint is the distiller's ``teacher_ckpt``). With ``p = softmax(z / T)``:

    .. math::
        L = \\frac{w \\, T^2}{B \\, C} \\sum_i
            \\mathrm{KL}\\big(p^t_i \\,\\|\\, p^s_i\\big)

    with the student's cross-entropy weighted ``1 - alpha`` (the distiller's
    ``student_loss_weight``). This is ``loss_kd_self`` of
    ``yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:my_loss_function.py``, the
    code behind the cited numbers: ``w = alpha * multiplier`` of each model's
    ``params.json``. ``torch.nn.KLDivLoss()``, with its default ``reduction='mean'``,
    averages over all ``B x C`` entries, not over the batch: the ``1 / C`` is part of
    the tuned weights.

    ``match_reference=False`` averages the KL over the batch instead (the paper's KD
    term, and :class:`KDLoss`): ``loss_weight`` must then be ``C`` times smaller for
    the same training.

    Args:
        temperature: ``T`` (``params.json`` ``temperature``: 20, or 6 for ResNet18).
        loss_weight: ``w = alpha * multiplier``.
        match_reference: True (default): the ``1 / (B C)`` of the reference. False:
            ``1 / B``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (per-sample values).
    """

    def __init__(self,
                 temperature: float = 20.0,
                 loss_weight: float = 1.0,
                 match_reference: bool = True,
                 reduction: str = 'mean') -> None:
        super().__init__(temperature, loss_weight, reduction)
        self.match_reference = match_reference

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted term (a scalar unless ``reduction='none'``)."""
        loss = super().forward(logits_s, logits_t)
        return loss / logits_s.shape[1] if self.match_reference else loss


@MODELS.register_module()
class TfKDVirtualLoss(nn.Module):
    """Teacher-free KD with a virtual teacher (Tf-KD_reg): KD from a hand-designed
    distribution, no teacher network.

    Yuan, Tay, Li, Wang, Feng. "Revisiting Knowledge Distillation via Label Smoothing
    Regularization", CVPR 2020 (arXiv 1909.11723), Section 5.

    The virtual teacher of a sample with label ``y`` puts ``a`` on the correct class
    and spreads the rest uniformly, ``u_c = a`` for ``c = y`` and ``(1 - a) / (C - 1)``
    otherwise, softened as ``p^d = softmax(u / T)`` (a softmax of probabilities, which
    makes it nearly uniform at ``T >= 10``). The reference term is

    .. math::
        L = \\frac{w}{B \\, C} \\sum_i \\mathrm{KL}\\big(p^d_i \\,\\|\\,
            \\mathrm{softmax}(z^s_i)\\big)

    with the student's cross-entropy weighted ``1 - alpha`` (the distiller's
    ``student_loss_weight``). This is ``loss_kd_regularization`` of
    ``yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:my_loss_function.py``
    (``correct_prob`` 0.99), the code behind the cited numbers:
    ``w = reg_alpha * multiplier`` and ``T = reg_temperature`` of each model's
    ``params.json``. ``torch.nn.KLDivLoss()``, with its default ``reduction='mean'``,
    averages over all ``B x C`` entries, not over the batch: the ``1 / C`` is part of
    the tuned weights.

    The code also compares with the student's softmax at temperature 1 (no ``T``, no
    ``T^2``), where the paper writes the KL to the student's output softened at the
    same temperature. ``match_reference=False`` does that: ``softmax(z^s / T)``, and
    the KL averaged over the batch; re-tune ``loss_weight`` for it.

    ``target`` is (B,) labels or (B, C) soft scores (Mixup/CutMix), reduced to their
    argmax: the virtual teacher needs one class per sample.

    Args:
        correct_prob: ``a`` (0.99 in the code).
        temperature: ``T`` (``reg_temperature``: 20 for ResNet18, 40 for
            MobileNetV2 / GoogLeNet, 10 for ShuffleNetV2).
        loss_weight: ``w = reg_alpha * multiplier``.
        match_reference: True (default): the code's term above. False: the paper's.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (per-sample values).
    """

    def __init__(self,
                 correct_prob: float = 0.99,
                 temperature: float = 20.0,
                 loss_weight: float = 1.0,
                 match_reference: bool = True,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if not 0 < correct_prob < 1:
            raise ValueError(f'TfKDVirtualLoss: correct_prob must lie in (0, 1), got '
                             f'{correct_prob}.')
        self.correct_prob = correct_prob
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.match_reference = match_reference
        self.reduction = reduction

    def virtual_teacher(self, target: Tensor, logits_s: Tensor) -> Tensor:
        """(B, C) log-probabilities ``log p^d`` of the virtual teacher."""
        num_classes = logits_s.shape[1]
        labels = hard_labels(target)
        spread = (1 - self.correct_prob) / (num_classes - 1)
        designed = logits_s.new_full(logits_s.shape, spread)
        designed.scatter_(1, labels[:, None], self.correct_prob)
        return F.log_softmax(designed / self.temperature, dim=1)

    def forward(self, logits_s: Tensor, target: Tensor) -> Tensor:
        """Return the weighted term (a scalar unless ``reduction='none'``)."""
        logits_s = upcast(logits_s)
        log_p_d = self.virtual_teacher(target, logits_s.detach())
        scale = 1.0 if self.match_reference else self.temperature
        log_q_s = F.log_softmax(logits_s / scale, dim=1)
        per_sample = _per_sample(log_p_d, log_q_s, self.match_reference)
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
