import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from .dkd import DKDLoss
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class ERDKDLoss(nn.Module):
    """DKD with entropy reweighting (ER-DKD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1
    (later versions: EA-KD). Reference code: cpsu00/ER-KD
    (``mdistiller/distillers/DKD.py::er_dkd_loss``).

    With DKD's per-sample ``L_i = alpha TCKD_i + beta NCKD_i`` (see :class:`DKDLoss`,
    warm-up ``f(e) = min((e + 1) / W, 1)``) and the teacher entropy ``H_i`` at ``t_H``
    (``teacher_entropy``):

    - ``match_reference=True`` (default), what the code computes: it multiplies the
      (B,) vector ``L`` by ``H`` reshaped to (B, 1), and the broadcast (B, B) matrix is
      averaged, so the entropy acts as a **batch-level** scale:

      .. math:: L = w \\, f(e) \\Big(\\frac{1}{B} \\sum_i H_i\\Big)
                    \\Big(\\frac{1}{B} \\sum_j L_j\\Big)

    - ``match_reference=False``, the per-sample reweighting of the paper (as ER-KD):

      .. math:: L = w \\, f(e) \\, \\frac{1}{B} \\sum_i H_i L_i

    ``reduction='none'`` returns ``w f(e) mean(H) L_i`` resp. ``w f(e) H_i L_i``.
    Targets and numerics as :class:`DKDLoss` (soft scores reduced to their argmax).

    Args:
        alpha: Weight of TCKD.
        beta: Weight of NCKD. The ER-KD configs use 3 (its default; R32x4->R8x4,
            R32x4->ShuV2, R50->MV2) or 2 (VGG13->MV2, VGG13->VGG8, WRN-40-2 pairs).
        temperature: ``T`` of DKD. CIFAR-100: 4.
        entropy_temperature: ``t_H`` (the reference's ``--t``, default 4).
        warmup_epochs: ``W`` (20); ``0`` disables the warm-up.
        loss_weight: ``w``.
        match_reference: Batch-level entropy scale as the code (True) or per-sample
            reweighting (False).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 3.0,
                 temperature: float = 4.0,
                 entropy_temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 loss_weight: float = 1.0,
                 match_reference: bool = True,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.dkd = DKDLoss(
            alpha=alpha,
            beta=beta,
            temperature=temperature,
            warmup_epochs=warmup_epochs,
            loss_weight=loss_weight,
            reduction='none')
        self.entropy_temperature = entropy_temperature
        self.match_reference = match_reference
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted ER-DKD term (a scalar unless ``reduction='none'``)."""
        weights = teacher_entropy(logits_t, self.entropy_temperature)
        if self.match_reference:
            weights = weights.mean()
        per_sample = self.dkd(
            logits_s=logits_s, logits_t=logits_t, target=target, epoch=epoch)
        return reduce_per_sample(weights * per_sample, self.reduction)
