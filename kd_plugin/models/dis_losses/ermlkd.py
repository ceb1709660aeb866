from typing import Tuple

from mmpretrain.registry import MODELS
from torch import Tensor

from .mlkd import MLKDLoss
from .utils import teacher_entropy


@MODELS.register_module()
class ERMLKDLoss(MLKDLoss):
    """MLKD with entropy reweighting (ER-MLD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1
    (later versions: EA-KD). Reference code: cpsu00/ER-KD
    (``mdistiller/mdistiller/distillers/MLD.py``, ``er_kd_loss``, switch ``--er``).

    :class:`MLKDLoss` with every instance-level ``KD_T`` term (weak and strong view, all
    temperatures of ``S = {T_0, 3, 5, 2, 6}``) replaced by ER-KD at the **same**
    temperature: the teacher entropy of each term is taken at that term's ``T`` (no
    separate ``t_H``):

    .. math::
        ER\\text{-}KD_T = T^2 \\frac{1}{B} \\sum_i H_{T,i} \\,
            \\mathrm{KL}(P^t_i \\| P^s_i), \\qquad
        H_{T,i} = -\\sum_c q_{i,c} \\log q_{i,c}, \\quad q = \\mathrm{softmax}(z^t / T)

    (``teacher_entropy`` on the raw teacher logits of the term's view). The class /
    batch correlation terms are MLKD's, unweighted. Everything else, including the
    reference's quirks with ``match_reference=True`` (masks as fractions of an
    already-averaged term, weak logits at T=2 and T=6 of the strong group, strong CC /
    BC dropped) and their fixes with ``False``, is :class:`MLKDLoss`'s; with the fixed
    masks the entropy weight and the sample mask both act per sample. The reference
    writes the entropy with ``log(q + 1e-10)`` and the student with ``log(softmax)``;
    here ``teacher_entropy``'s clamp at 1e-10 and the log-softmax (the same value up to
    terms below 1e-10).

    Args:
        temperature: Base temperature ``T_0`` (4 on CIFAR-100).
        loss_weight: ``w`` (KD weight 0.9 with CE 0.1 on both views on CIFAR-100).
        match_reference: Reproduce MLKD's reference sum (default) or the fixed one.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 match_reference: bool = True) -> None:
        super().__init__(
            temperature=temperature,
            loss_weight=loss_weight,
            match_reference=match_reference)

    def instance_kd(self, view: Tuple[Tensor, Tensor], temperature: float) -> Tensor:
        """Per-sample ``H_{T,i} T^2 KL(p_t || p_s)`` of one view, (B,)."""
        return teacher_entropy(view[1], temperature) * super().instance_kd(
            view, temperature)
