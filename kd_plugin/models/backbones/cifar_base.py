"""Shared base of the CIFAR model zoo (the RepDistiller / mdistiller architectures).

Every backbone of the zoo keeps the module names of the original models, so a
checkpoint converts by a prefix rename only (``cifar_checkpoint.py``), and exposes
``distill_taps``:

* ``'feats'``: module paths whose output is each stage output as mdistiller returns it
  in ``feats["feats"]`` (index 0 = the stem, then the stages, shallow to deep);
* ``'preact_feats'``: the same stages before their final activation
  (``feats["preact_feats"]``).

A path ending in ``:input`` stands for the first positional input of the module
instead of its output. Every tapped module runs exactly once per forward pass, so a
forward hook on it records one tensor. The ReLUs of the zoo are not in-place: a hook
on any module sees the value that module produced.
"""
from typing import Dict, Sequence, Tuple, Union

from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch import Tensor

OutIndices = Union[int, Sequence[int]]


class CIFARBackbone(BaseBackbone):
    """Base class: ``out_indices`` handling and the ``distill_taps`` attribute.

    Args:
        num_stages: Number of outputs that ``out_indices`` selects from.
        out_indices: Index or indices of the stage outputs returned by ``forward``;
            negative values count from the end.
        init_cfg: MMEngine initialisation config.
    """

    distill_taps: Dict[str, Tuple[str, ...]]

    def __init__(self, num_stages: int, out_indices: OutIndices,
                 init_cfg: Union[dict, list, None]) -> None:
        super().__init__(init_cfg)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        indices = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(f'{type(self).__name__} has {num_stages} stage outputs; '
                                 f'out_indices={tuple(out_indices)} is out of range.')
            indices.append(index % num_stages)
        self.num_stages = num_stages
        self.out_indices = tuple(indices)

    def select_outputs(self, stage_outputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Return the stage outputs picked by ``out_indices``, in that order."""
        return tuple(stage_outputs[index] for index in self.out_indices)
