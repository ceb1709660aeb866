from typing import Optional, Sequence

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .fcfd import FCFDLoss
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class ERFCFDLoss(nn.Module):
    """FCFD with entropy reweighting (ER-FCFD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1.
    Reference code: cpsu00/ER-KD (``ER-FCFD/classification/cifar/main.py``, with FCFD's
    unchanged ``models/meta.py``).

    Every per-sample term of :class:`FCFDLoss` (the spatial L2 of every teacher-space
    feature, the student's KD and each mixed path's KL) is weighted by the entropy
    ``H_b`` of the teacher path's prediction at ``t_H`` (``teacher_entropy``,
    detached) before the batch mean:

    .. math::
        L = w \\Big[\\frac{1}{B} \\sum_b H_b \\big(l2_b + kd_b + mix_b\\big)
            + \\bar{H} \\frac{1}{B} \\sum_b l2^{pool}_b\\Big]

    ``match_reference=True`` (default) reproduces the reference's broadcasting bug in
    the final-stage pooled L2 term: ``H`` of shape (B,1,1,1) times a (B, C) error gives
    (B,1,B,C), so that term is ``mean(H)`` times its plain MSE (no per-sample
    weighting), the ``\\bar{H}`` above. ``match_reference=False`` weights it per sample
    like the other terms. The inner FCFD always keeps the pooled term (ER-FCFD's
    reference has it).

    Args:
        entropy_temperature: ``t_H`` (4, methods_feature.md 3.13; note: the stored
            revision 12b151a of the reference divides by 3 and uses ``log(p + 1e-10)``).
        match_reference: See above.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms; with
            ``match_reference`` the pooled term enters each sample as ``mean(H)`` times
            its own pooled error).
        Other arguments: as :class:`FCFDLoss` (its module is ``fcfd``; its
        ``generator`` samples the paths).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 student_sizes: Sequence[int],
                 teacher_sizes: Sequence[int],
                 student_stage_input: str = 'afterrelu',
                 teacher_stage_input: str = 'afterrelu',
                 student_stage_modules: Optional[Sequence[int]] = None,
                 teacher_stage_modules: Optional[Sequence[int]] = None,
                 temperature: float = 4.0,
                 kd_weight: float = 1.0,
                 mix_weight: float = 1.0,
                 l2_weight: float = 5.0,
                 warmup_epochs: int = 20,
                 num_mixed_paths: int = 2,
                 path_type: str = 'bi',
                 entropy_temperature: float = 4.0,
                 match_reference: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.fcfd = FCFDLoss(student_channels, teacher_channels, student_sizes,
                             teacher_sizes, student_stage_input, teacher_stage_input,
                             student_stage_modules, teacher_stage_modules, temperature,
                             kd_weight, mix_weight, l2_weight, warmup_epochs,
                             num_mixed_paths, path_type, match_reference=True,
                             loss_weight=1.0, reduction='none')
        self.entropy_temperature = entropy_temperature
        self.match_reference = match_reference
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                stages_s: Sequence[nn.Module], stages_t: Sequence[nn.Module],
                classifier_s: nn.Module, classifier_t: nn.Module, logits_s: Tensor,
                logits_t: Tensor, epoch: int) -> Tensor:
        """Return the weighted ER-FCFD term (a scalar unless ``reduction='none'``)."""
        terms = self.fcfd.per_sample_terms(feats_s, feats_t, stages_s, stages_t,
                                           classifier_s, classifier_t, logits_s, logits_t,
                                           epoch)
        weights = teacher_entropy(logits_t, self.entropy_temperature)
        weights = weights.to(terms['l2'].dtype)
        per_sample = weights * (terms['l2'] + terms['kd'] + terms['mix'])
        if self.match_reference:
            per_sample = per_sample + weights.mean() * terms['l2_pooled']
        else:
            per_sample = per_sample + weights * terms['l2_pooled']
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                     stages_s: Sequence[nn.Module],
                     stages_t: Sequence[nn.Module]) -> None:
        """Raise a ValueError unless the tapped stage outputs fit the bridges (shape
        probe), as :meth:`FCFDLoss.check_shapes`."""
        self.fcfd.check_shapes(feats_s, feats_t, stages_s, stages_t)
