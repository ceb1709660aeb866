from mmpretrain.registry import MODELS
from torch import Tensor

from .kd import KDLoss
from .utils import standardize_logits


@MODELS.register_module()
class LSKDLoss(KDLoss):
    """KD on standardised logits (KD + LS).

    Sun et al. "Logit Standardization in Knowledge Distillation", CVPR 2024.

    Both logits are standardised per sample, ``Z(z) = (z - mean_c z) / (std_c z +
    1e-7)`` (unbiased std, see ``standardize_logits``), then KD runs unchanged at the
    base temperature ``T``, ``T^2`` factor included:

    .. math::
        L = w \\, T^2 \\, \\frac{1}{B} \\sum_i \\mathrm{KL}\\big(\\mathrm{softmax}(
            Z(z^t_i) / T) \\,\\|\\, \\mathrm{softmax}(Z(z^s_i) / T)\\big)

    This is logit-standardization-KD's ``kd_loss(logit_stand=True)``; the code matches
    the paper. The defaults are its CIFAR-100 recipe: ``--base-temp 2``,
    ``--kd-weight 9`` (student's CE at 0.1); per pair it uses (T, w) = (3, 9) for
    VGG13->VGG8, R32x4->WRN16-2/WRN40-2, WRN40-2->MV2 and VGG13->MV2, (4, 12) for
    R110->R20 and (3, 1) for R50->MV2. The same standardisation is the
    ``logit_standardization`` option of :class:`DKDLoss`, :class:`EDKDLoss` and
    :class:`CTKDLoss`, and ``standardize_logits`` for other losses (MLKD+LS
    standardises only its instance-level KD terms).

    Args:
        temperature: Base temperature ``T``.
        loss_weight: ``w`` (the reference's ``--kd-weight``).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms).
    """

    def __init__(self,
                 temperature: float = 2.0,
                 loss_weight: float = 9.0,
                 reduction: str = 'mean') -> None:
        super().__init__(
            temperature=temperature, loss_weight=loss_weight, reduction=reduction)

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted KD term on standardised logits."""
        return super().forward(standardize_logits(logits_s), standardize_logits(logits_t))
