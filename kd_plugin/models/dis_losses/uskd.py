from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import reduce_per_sample, upcast


@MODELS.register_module()
class USKDLoss(nn.Module):
    """Teacher-free self-distillation with customised soft labels (USKD).

    Yang, Zeng, Yuan, Li. "From Knowledge Distillation to Self-Knowledge Distillation:
    A Unified Approach with Normalized Loss and Customized Soft Labels", ICCV 2023;
    code: yzd-v/cls_KD (branch 1.0) ``mmcls/models/dis_losses/uskd.py::USKDLoss``, used
    with ``ClassificationDistiller(sd=True)`` (no teacher).

    The student builds its own soft labels. With ``s = softmax(z)`` of the final logits
    and ``y`` the label (T = 1 throughout):

    * target: ``v_i = s_{iy}^2 + 1 - mean_j s_{jy}^2`` (detached),
      ``L_t = -(1/B) sum_i v_i log s_{iy}``;
    * weak supervision: a trainable linear head ``fc`` (owned by this loss) on an
      intermediate feature ``f`` gives ``h = softmax(fc(f))``,
      ``L_weak = -mu (1/B) sum_i sum_c g_{ic} log h_{ic}`` with
      ``g = 0.9 onehot(y) + 0.1 / C``;
    * non-target: the non-target classes are ranked by a score ``r``, class of rank
      ``k`` (1 = highest) gets the Zipf value ``1/k``, the target is removed and the
      rest renormalised to ``q`` (detached); ``L_nt = -(1/B) sum_i sum_{c != y} q_ic
      log softmax_{c != y}(z_i)_c``.

    .. math::
        L = w \\, (\\alpha L_t + \\beta L_{nt} + L_{weak})

    The intermediate feature is ``feats_s[stage_index]``, globally average-pooled; the
    default ``-2`` is the stage before the last one, which cls_KD uses
    (``neck(fea_s[-2])`` with backbone ``out_indices=(2, 3)``: ResNet stage 3 of 4).
    ``in_channels`` is that stage's width (cls_KD's configs: 256 for ResNet-18, 1024
    for ResNet-50/101, 512 for MobileNetV1, 320 for MobileNetV2). The head is a
    parameter of this loss, hence of the distiller: the optimizer trains it.

    ``match_reference=True`` (default) ranks with the reference's score
    ``r = h / (1 - h_y + 1e-6) + log s / (1 - log s_y + 1e-6)``: the code reuses a
    variable that by then holds the log-probabilities of the final logits.
    ``match_reference=False`` ranks with probabilities,
    ``r = h / (1 - h_y + 1e-6) + s / (1 - s_y + 1e-6)``, the sum of the two
    renormalised non-target distributions, which the code evidently intends (the
    paper text was not checked). Only the ranking, hence ``q``, differs.

    ``target`` (B, C) soft scores (Mixup/CutMix) are handled as the reference does: the
    two highest-scoring classes are both targets, ``v_ik = s_ik^2 + score_ik - mean_j
    s_jk^2`` for each of them (0 where the score is 0), ``L_t`` sums over the two,
    ``g = 0.9 score + 0.1 / C``, and both classes are removed from the non-target part.

    Args:
        in_channels: Channels of the intermediate feature (input width of ``fc``).
        num_classes: Number of classes ``C`` (output width of ``fc``).
        alpha: Weight of ``L_t`` (1.0 ImageNet, 0.1 CIFAR in cls_KD).
        beta: Weight of ``L_nt`` (0.1).
        mu: Weight of ``L_weak`` (0.005 ImageNet, 0.1 CIFAR).
        stage_index: Which entry of ``feats_s`` feeds the weak head.
        loss_weight: Overall weight ``w``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` for the (B,) per-sample values
            (the target weights ``v`` still use the batch mean of ``s_y^2``).
        match_reference: Reference ranking score (default) or the paper's.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 alpha: float = 1.0,
                 beta: float = 0.1,
                 mu: float = 0.005,
                 stage_index: int = -2,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 match_reference: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)
        self.alpha = alpha
        self.beta = beta
        self.mu = mu
        self.stage_index = stage_index
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.match_reference = match_reference

    def forward(self, logits_s: Tensor, target: Tensor,
                feats_s: Sequence[Tensor]) -> Tensor:
        """Return the weighted USKD term (a scalar unless ``reduction='none'``)."""
        logits = upcast(logits_s)
        num_classes = logits.size(1)
        if target.dim() == 2:
            scores, labels = target.topk(2, dim=1)
            scores = upcast(scores)
        else:
            labels = target[:, None]
            scores = torch.ones_like(logits[:, :1])
        label_mask = torch.zeros_like(logits, dtype=torch.bool).scatter_(1, labels, True)
        # 0.9 * (soft scores, or the one-hot label) + 0.1 / C.
        label_scores = upcast(target) if target.dim() == 2 else label_mask.to(logits)
        weak_target = 0.9 * label_scores + 0.1 / num_classes

        log_p = F.log_softmax(logits, dim=1)
        log_p_y = log_p.gather(1, labels)
        with torch.no_grad():
            p_y_sq = log_p_y.exp().pow(2)
            soft_y = torch.where(scores == 0, torch.zeros_like(p_y_sq),
                                 p_y_sq + scores - p_y_sq.mean(dim=0, keepdim=True))
        loss_target = -(soft_y * log_p_y).sum(dim=1)

        feature = upcast(feats_s[self.stage_index]).mean(dim=(2, 3))
        log_w = F.log_softmax(upcast(self.fc(feature)), dim=1)
        loss_weak = -self.mu * (weak_target * log_w).sum(dim=1)

        zipf = self._zipf_labels(log_p.detach(), log_w.detach(), labels, label_mask)
        log_q = F.log_softmax(logits.masked_fill(label_mask, float('-inf')), dim=1)
        loss_non_target = -(zipf * log_q.masked_fill(label_mask, 0.0)).sum(dim=1)

        per_sample = self.alpha * loss_target + self.beta * loss_non_target + loss_weak
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)

    def _zipf_labels(self, log_p: Tensor, log_w: Tensor, labels: Tensor,
                     label_mask: Tensor) -> Tensor:
        """Zipf soft labels ``q`` over the non-target classes, shape (B, C), 0 at
        labels."""
        probs_head = log_w.exp()
        rank_score = probs_head / (1 - probs_head.gather(1, labels).sum(1, keepdim=True) +
                                   1e-6)
        final = log_p if self.match_reference else log_p.exp()
        rank_score = rank_score + final / (
            1 - final.gather(1, labels).sum(1, keepdim=True) + 1e-6)
        order = rank_score.argsort(dim=1, descending=True)
        position = order.argsort(dim=1)  # 0 for the highest score
        zipf = (1.0 / (position + 1).to(log_p)).masked_fill(label_mask, 0.0)
        return zipf / zipf.sum(dim=1, keepdim=True)
