from typing import Dict

from mmpretrain.registry import MODELS
from torch import Tensor

from .entropy_reweighted import EntropyReweightedLoss
from .fcfd import FCFDLoss


@MODELS.register_module()
class ERFCFDLoss(EntropyReweightedLoss):
    """FCFD with entropy reweighting (ER-FCFD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1.
    Reference code: cpsu00/ER-KD@42aa4f19f0942876b9cdea18838b5b808c64f2b2
    (``ER-FCFD/classification/cifar/main.py``, with FCFD's unchanged ``models/meta.py``).

    Every per-sample term of :class:`FCFDLoss` (the spatial L2 of every teacher-space
    feature, the student's KD and each mixed path's KL) is weighted by the entropy
    ``H_b`` of the teacher path's prediction at ``t_H`` (detached) before the batch
    mean, and the sum is scaled by FCFD's ``loss_weight`` ``w``:

    .. math::
        L = w \\Big[\\frac{1}{B} \\sum_b H_b \\big(l2_b + kd_b + mix_b\\big)
            + \\bar{H} \\frac{1}{B} \\sum_b l2^{pool}_b\\Big]

    ``match_reference=True`` (default) reproduces the reference's broadcasting bug in
    the final-stage pooled L2 term: ``H`` of shape (B,1,1,1) times a (B, C) error gives
    (B,1,B,C), so that term is ``mean(H)`` times its plain MSE (no per-sample
    weighting), the ``\\bar{H}`` above. ``match_reference=False`` weights it per sample
    like the other terms (what :class:`EntropyReweightedLoss` around ``FCFDLoss``
    computes). The wrapped FCFD always keeps the pooled term (ER-FCFD's reference has
    it).

    Args:
        loss: The ``FCFDLoss`` config (channels, sizes, weights, paths; its
            ``loss_weight`` is ``w``).
        entropy_temperature: ``t_H`` (4 at the cited commit; an older revision of the
            reference, 12b151a, divides by 3).
        match_reference: See above.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms; with
            ``match_reference`` the pooled term enters each sample as ``mean(H)`` times
            its own pooled error).
    """

    def __init__(self,
                 loss: dict,
                 entropy_temperature: float = 4.0,
                 match_reference: bool = True,
                 reduction: str = 'mean') -> None:
        super().__init__(dict(loss, match_reference=True), entropy_temperature, reduction)
        if not isinstance(self.loss, FCFDLoss):
            raise TypeError(
                f'ERFCFDLoss wraps an FCFDLoss, got {type(self.loss).__name__}')
        self.match_reference = match_reference

    def weighted(self, weights: Tensor, inputs: Dict[str, object]) -> Tensor:
        terms = self.loss.per_sample_terms(**inputs)
        weights = weights.to(terms['l2'].dtype)
        per_sample = weights * (terms['l2'] + terms['kd'] + terms['mix'])
        pooled_weight = weights.mean() if self.match_reference else weights
        return self.loss.loss_weight * (per_sample + pooled_weight * terms['l2_pooled'])
