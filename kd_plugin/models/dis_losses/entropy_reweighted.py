import inspect
from typing import List

import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.utils.vocabulary import forward_argument_names
from .utils import reduce_per_sample, teacher_entropy


@MODELS.register_module()
class EntropyReweightedLoss(nn.Module):
    """Entropy reweighting (ER) of any loss that gives per-sample values.

    Su et al., entropy-reweighted knowledge distillation (ER-KD), arXiv 2311.13621 v1.
    Each sample's term of the wrapped loss (built with ``reduction='none'``) is weighted
    by the entropy of the teacher's prediction at ``t_H`` (:func:`teacher_entropy`):

    .. math::
        L = \\frac{1}{B} \\sum_i H_i \\, l_i, \\quad
        H_i = -\\sum_c q_{i,c} \\log q_{i,c}, \\; q = \\mathrm{softmax}(z^t_i / t_H)

    ``EntropyReweightedLoss(loss=dict(type='KDLoss', ...))`` is :class:`ERKDLoss`; the
    method-specific classes (:class:`ERDKDLoss`, :class:`ERMLKDLoss`,
    :class:`ERCTKDLoss`) keep their reference code's quirks, this wrapper gives the
    paper's per-sample weighting for every other loss. Its inputs are those of the
    wrapped loss plus ``logits_t`` (declared in ``input_names``).

    Args:
        loss: Config of the wrapped loss; it must accept ``reduction='none'``.
        entropy_temperature: ``t_H`` (4 in the reference).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self, loss: dict, entropy_temperature: float = 4.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        try:
            self.loss = MODELS.build(dict(loss, reduction='none'))
        except TypeError as error:
            raise TypeError(f'EntropyReweightedLoss: {loss.get("type")} must accept '
                            f"reduction='none' (per-sample values): {error}") from error
        self.entropy_temperature = entropy_temperature
        self.reduction = reduction
        names = forward_argument_names(self.loss)
        self.input_names: List[str] = names + ([] if 'logits_t' in names else ['logits_t'])

    def forward(self, **inputs) -> Tensor:
        weights = teacher_entropy(inputs['logits_t'], self.entropy_temperature)
        wrapped = {name: inputs[name] for name in forward_argument_names(self.loss)}
        per_sample = self.loss(**wrapped)
        if per_sample.dim() != 1:
            raise ValueError(f"{type(self.loss).__name__} with reduction='none' returned "
                             f'shape {tuple(per_sample.shape)}, not per-sample (B,) values')
        return reduce_per_sample(weights * per_sample, self.reduction)

    def check_shapes(self, **inputs) -> None:
        """The wrapped loss's build-time shape check (shape probe), if it has one."""
        check = getattr(self.loss, 'check_shapes', None)
        if check is not None:
            names = inspect.signature(check).parameters
            check(**{name: inputs[name] for name in names if name in inputs})
