from mmpretrain.registry import MODELS
from torch import Tensor

from .dkd import DKDLoss
from .utils import reduce_per_sample, warmup_factor


@MODELS.register_module()
class EDKDLoss(DKDLoss):
    """Exponential dynamic knowledge distillation (EDKD): DKD whose NCKD weight
    follows the teacher's confidence.

    Reference code: wencchang/EDKD (``mdistiller/distillers/EDKD.py::edkd_loss``).

    With DKD's per-sample ``TCKD_i`` and ``NCKD_i`` (see :class:`DKDLoss`) and the
    teacher's binary target / non-target distribution ``b^t_i`` at temperature T:

    .. math::
        \\beta_i = \\beta \\, \\exp\\big(-(1 - \\max(b^t_{i,y}, b^t_{i,\\neg y}))\\big)
        \\in [\\beta e^{-1/2}, \\beta]

    ``match_reference=True`` (default) reproduces the code, which returns the (B,)
    vector ``mean_j(alpha TCKD_j) + beta_i * mean_j(NCKD_j)`` that its trainer averages:

    .. math::
        L = w \\, \\min\\big(\\tfrac{e + 1}{W}, 1\\big) \\Big(\\frac{1}{B} \\sum_j
            \\alpha \\, \\mathrm{TCKD}_j + \\Big(\\frac{1}{B} \\sum_i \\beta_i\\Big)
            \\Big(\\frac{1}{B} \\sum_j \\mathrm{NCKD}_j\\Big)\\Big)

    i.e. the dynamic beta acts through its batch mean. ``match_reference=False`` gives
    the per-sample weighting the method describes,
    ``w min((e+1)/W, 1) mean_i(alpha TCKD_i + beta_i NCKD_i)``. The reference also
    hard-codes ``alpha = 1`` and ``beta = 8`` (ignoring its config's ALPHA/BETA): these
    are the defaults here. ``reduction='none'`` returns the (B,) vector of the chosen
    mode (the reference's vector when matching it). Targets and numerics as
    :class:`DKDLoss` (soft scores reduced to their argmax).

    Args:
        temperature: ``T``. CIFAR-100: 4.
        warmup_epochs: ``W`` (20 on CIFAR-100); ``0`` disables the warm-up.
        loss_weight: ``w``.
        alpha: Weight of TCKD (fixed to 1 in the reference).
        beta: Scale of the dynamic NCKD weight (fixed to 8 in the reference).
        match_reference: Batch-mean beta as the code (True) or per-sample beta (False).
        logit_standardization: As in :class:`DKDLoss`.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 loss_weight: float = 1.0,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 match_reference: bool = True,
                 logit_standardization: bool = False,
                 reduction: str = 'mean') -> None:
        super().__init__(
            alpha=alpha,
            beta=beta,
            temperature=temperature,
            warmup_epochs=warmup_epochs,
            loss_weight=loss_weight,
            logit_standardization=logit_standardization,
            reduction=reduction)
        self.match_reference = match_reference

    def forward(self, logits_s: Tensor, logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted, warmed-up EDKD term (a scalar unless
        ``reduction='none'``)."""
        tckd, nckd, log_b_t = self.decoupled_terms(logits_s, logits_t, target)
        beta = self.beta * (log_b_t.detach().exp().amax(dim=1) - 1).exp()
        if self.match_reference:
            per_sample = self.alpha * tckd.mean() + beta * nckd.mean()
        else:
            per_sample = self.alpha * tckd + beta * nckd
        scale = self.loss_weight * warmup_factor(epoch, self.warmup_epochs)
        return scale * reduce_per_sample(per_sample, self.reduction)
