import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import decoupled_log_probs, hard_labels, reduce_per_sample, upcast


@MODELS.register_module()
class NKDLoss(nn.Module):
    """Normalized knowledge distillation.

    Yang et al. "From Knowledge Distillation to Self-Knowledge Distillation: A Unified
    Approach with Normalized Loss and Customized Soft Labels", ICCV 2023.

    With ``p = softmax(z)`` at temperature 1 and the normalised non-target
    distribution ``q^T_c = softmax_{c' != y}(z / T)_c`` (the label class removed):

    .. math::
        L_{NKD} = \\frac{w}{B} \\sum_i \\Big(- p^t_{i,y} \\log p^s_{i,y}
                  - \\gamma \\, T^2 \\sum_{c \\ne y} q^{t,T}_{i,c} \\log
                  q^{s,T}_{i,c}\\Big)

    This is cls_KD's ``NKDLoss`` (branch ``1.0``) after the fix of its non-target mask
    (commit 9466b3f3, which removes the label column; from July to October 2023 the
    mask was all ones and the "non-target" part included the label class). It matches
    the paper. ``p^t_y`` is detached. Both parts are cross-entropies, not KL
    divergences: the teacher entropies they contain are constants for the student.

    ``target`` is (B,) labels or (B, C) soft scores (Mixup/CutMix), reduced to their
    argmax as the reference does.

    Args:
        temperature: ``T`` of the non-target part (the target part always uses 1).
            ImageNet: 1, CIFAR (ResNet18 student): 3.
        gamma: ``gamma``, weight of the non-target part. ImageNet: 1.5, CIFAR: 3.5.
        loss_weight: ``w``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms).
    """

    def __init__(self,
                 temperature: float = 1.0,
                 gamma: float = 1.5,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.temperature = temperature
        self.gamma = gamma
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor, target: Tensor) -> Tensor:
        """Return the weighted NKD term (a scalar unless ``reduction='none'``)."""
        logits_s, logits_t = upcast(logits_s), upcast(logits_t)
        temperature = self.temperature
        labels = hard_labels(target)[:, None]
        log_p_s = logits_s.gather(1, labels) - logits_s.logsumexp(dim=1, keepdim=True)
        log_p_t = logits_t.gather(1, labels) - logits_t.logsumexp(dim=1, keepdim=True)
        target_part = -(log_p_t.detach().exp() * log_p_s).squeeze(1)

        gt_mask = F.one_hot(labels.squeeze(1), logits_s.shape[1]).bool()
        _, log_q_s = decoupled_log_probs(logits_s / temperature, gt_mask)
        _, log_q_t = decoupled_log_probs(logits_t / temperature, gt_mask)
        q_t = log_q_t.exp().masked_fill(gt_mask, 0.0)
        non_target_part = -(q_t * log_q_s).sum(1) * self.gamma * temperature**2

        per_sample = target_part + non_target_part
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
