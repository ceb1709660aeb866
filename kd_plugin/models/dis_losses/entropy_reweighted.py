import inspect
from typing import Dict, List

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.utils.vocabulary import forward_argument_names
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class EntropyReweightedLoss(nn.Module):
    """Entropy reweighting (ER) of any loss that gives per-sample values.

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1
    (later versions: EA-KD). Reference code:
    cpsu00/ER-KD@42aa4f19f0942876b9cdea18838b5b808c64f2b2
    (``mdistiller/mdistiller/distillers/KD.py::er_kd_loss``,
    ``ER-CTKD/distiller_zoo/KD.py``,
    ``ER-ReviewKD/CIFAR-100/model/reviewkd.py::hcl``).
    Each sample's term of the wrapped loss (built with ``reduction='none'``) is weighted
    by the entropy of the teacher's prediction at ``t_H`` (:func:`teacher_entropy`:
    natural log, probabilities clamped at 1e-10 inside the log as the reference,
    detached):

    .. math::
        L = \\frac{1}{B} \\sum_i H_i \\, l_i, \\quad
        H_i = -\\sum_c q_{i,c} \\log q_{i,c}, \\; q = \\mathrm{softmax}(z^t_i / t_H)

    This is ER-KD with ``loss=dict(type='KDLoss', ...)``, ER-CTKD with ``CTKDLoss`` (the
    reference weights the (B, C) element-wise KL by the entropy before summing over
    classes: a true per-sample weight) and ER-ReviewKD with ``ReviewKDLoss`` (every
    squared error of the hierarchical context loss weighted by its sample's entropy
    before the mean over all elements; each sample contributes equally many elements,
    so that is the per-sample HCL weighted). The reference always uses ``t_H = 4`` (its
    ``--t`` option does not reach it). Methods whose reference code weights otherwise
    keep a class of their own (:class:`ERDKDLoss`, :class:`ERMLKDLoss`,
    :class:`ERFCFDLoss`). The inputs are those of the wrapped loss plus ``logits_t``
    (declared in ``input_names``).

    Args:
        loss: Config of the wrapped loss (its own ``loss_weight`` included); it must
            accept ``reduction='none'``. Its module is ``loss`` in the state dict.
        entropy_temperature: ``t_H`` (4 in the reference).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) weighted terms).
    """

    def __init__(self,
                 loss: dict,
                 entropy_temperature: float = 4.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        try:
            self.loss = MODELS.build(dict(loss, reduction='none'))
        except TypeError as error:
            raise TypeError(f'{type(self).__name__}: {loss.get("type")} must accept '
                            f"reduction='none' (per-sample values): {error}") from error
        self.entropy_temperature = entropy_temperature
        self.reduction = reduction
        self.wrapped_names = forward_argument_names(self.loss)
        self.input_names: List[str] = self.wrapped_names + (
            [] if 'logits_t' in self.wrapped_names else ['logits_t'])

    def forward(self, **inputs) -> Tensor:
        """Return the reweighted term (a scalar unless ``reduction='none'``)."""
        weights = teacher_entropy(inputs['logits_t'], self.entropy_temperature)
        wrapped = {name: inputs[name] for name in self.wrapped_names}
        return reduce_per_sample(self.weighted(weights, wrapped), self.reduction)

    def weighted(self, weights: Tensor, inputs: Dict[str, object]) -> Tensor:
        """The (B,) per-sample terms of the wrapped loss times ``weights``."""
        per_sample = self.loss(**inputs)
        if per_sample.dim() != 1:
            raise ValueError(
                f"{type(self.loss).__name__} with reduction='none' returned "
                f'shape {tuple(per_sample.shape)}, not per-sample (B,) values')
        return weights.to(per_sample.dtype) * per_sample

    def check_shapes(self, **inputs) -> None:
        """The wrapped loss's build-time shape check (shape probe), if it has one."""
        check = getattr(self.loss, 'check_shapes', None)
        if check is not None:
            names = inspect.signature(check).parameters
            check(**{name: inputs[name] for name in names if name in inputs})
