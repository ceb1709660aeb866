from mmpretrain.registry import MODELS
from torch import Tensor, nn

from .ctkd import CTKDLoss
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class ERCTKDLoss(nn.Module):
    """CTKD with entropy reweighting (ER-CTKD).

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1
    (later versions: EA-KD). Reference code: cpsu00/ER-KD
    (``ER-CTKD/distiller_zoo/KD.py::DistillKL``, on zhengli97/CTKD's trainer).

    :class:`CTKDLoss`'s KD term at the learned global temperature ``T`` (curriculum,
    gradient reversal and the parameter ``theta`` unchanged, held by the wrapped loss)
    with each sample weighted by the teacher entropy at the fixed ``t_H`` (4 in the
    reference, independent of the learned ``T``; ``teacher_entropy``):

    .. math::
        L = w \\, T^2 \\, \\frac{1}{B} \\sum_i H_i \\,
            \\mathrm{KL}\\big(\\mathrm{softmax}(z^t_i / T) \\,\\|\\,
            \\mathrm{softmax}(z^s_i / T)\\big), \\quad
        H_i = -\\sum_c q_{i,c} \\log q_{i,c}, \\; q = \\mathrm{softmax}(z^t / t_H)

    The reference multiplies the (B, C) element-wise KL by ``entropy.unsqueeze(1)``
    before summing over classes: a true per-sample weight, so there is no broadcast
    quirk and no ``match_reference`` switch. It writes the entropy with
    ``log(q + 1e-10)``; here the clamp at 1e-10 (equal up to terms below 1e-10).

    Args:
        t_start, t_end, init_theta, lambda_max, lambda_min, lambda_epochs: the learned
            temperature and its curriculum, as :class:`CTKDLoss` (CIFAR-100 defaults).
        entropy_temperature: ``t_H`` (4, hard-coded in the reference).
        loss_weight: ``w`` (0.9 with the student's CE at 0.1: ``-r 0.1 -a 0.9``).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms).
    """

    def __init__(self,
                 t_start: float = 1.0,
                 t_end: float = 20.0,
                 init_theta: float = 1.0,
                 lambda_max: float = 0.0,
                 lambda_min: float = -1.0,
                 lambda_epochs: int = 10,
                 entropy_temperature: float = 4.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.ctkd = CTKDLoss(t_start=t_start, t_end=t_end, init_theta=init_theta,
                             lambda_max=lambda_max, lambda_min=lambda_min,
                             lambda_epochs=lambda_epochs, loss_weight=loss_weight,
                             reduction='none')
        self.entropy_temperature = entropy_temperature
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor, epoch: int) -> Tensor:
        """Return the weighted ER-CTKD term (a scalar unless ``reduction='none'``)."""
        weights = teacher_entropy(logits_t, self.entropy_temperature)
        per_sample = self.ctkd(logits_s=logits_s, logits_t=logits_t, epoch=epoch)
        return reduce_per_sample(weights * per_sample, self.reduction)
