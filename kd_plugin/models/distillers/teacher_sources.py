"""Where a distiller's teacher outputs come from: the teacher model run on the step's
batch (:class:`OnlineTeacher`), or a cache of its logits (:class:`CachedTeacher`).

A source has ``provides`` (the teacher outputs it can give; None: any) and
``outputs(inputs, data_samples)``, the ``*_t`` values of one step. The distiller builds
one and calls it in every step; it never branches on which one it has.
"""
import logging
from typing import Callable, Dict, FrozenSet, List, Optional

import torch
from mmengine.logging import print_log
from mmpretrain.structures import DataSample
from torch import Tensor

from kd_plugin.utils.teacher_cache import TeacherCache
from .taps import ModelTaps

CACHE_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'flip', 'flip_direction', 'view_id')


class OnlineTeacher:
    """Run the frozen teacher once on the step's batch and record its taps.

    Args:
        taps: The teacher's taps (None: no loss reads a teacher output, the teacher
            does not run).
        run: The distiller's ``run_teacher`` (input adaptation, ``no_grad``,
            precision).
    """

    provides: Optional[FrozenSet[str]] = None

    def __init__(self, taps: Optional[ModelTaps], run: Callable[[Tensor],
                                                                object]) -> None:
        self.taps = taps
        self.run = run

    def outputs(self, inputs: Tensor,
                data_samples: List[DataSample]) -> Dict[str, Tensor]:
        if self.taps is None:
            return {}
        with self.taps.recording():
            self.run(inputs)
        return {f'{name}_t': value for name, value in self.taps.collect().items()}


class CachedTeacher:
    """The teacher's logits looked up in a teacher-output cache; the teacher does not
    run (:mod:`kd_plugin.utils.teacher_cache` has the format and its trade-offs).

    Each step's ``logits_t`` are read by the data samples' ``sample_idx`` and
    ``view_id`` (``RecordedRandomCrop`` / ``RecordedRandomResizedCrop`` and
    ``RecordedRandomFlip``, with ``PackInputs`` keeping ``view_id``). When the samples
    carry ``crop_box`` and the cache holds boxes, the boxes are compared on the CPU (no
    device synchronisation): a cache built with another crop seed, ``num_draws``,
    training set or sample order is refused.

    * Full caches: ``logits_t`` is the online teacher's logits rounded to float16.
    * Top-k caches: the classes not stored get ``min(stored) - fill_margin``
      (:func:`~kd_plugin.utils.teacher_cache.expand_topk`).
    """

    provides: FrozenSet[str] = frozenset({'logits_t'})

    def __init__(self, cache: TeacherCache) -> None:
        self.cache = cache
        self._boxes_unchecked_warned = False

    def outputs(self, inputs: Tensor,
                data_samples: List[DataSample]) -> Dict[str, Tensor]:
        missing = [
            i for i, s in enumerate(data_samples)
            if 'view_id' not in s or 'sample_idx' not in s
        ]
        if missing:
            raise ValueError(
                'The data samples carry no view_id / sample_idx: the training pipeline '
                'must use RecordedRandomCrop or RecordedRandomResizedCrop, and '
                'RecordedRandomFlip, and keep the view id, '
                f"dict(type='PackInputs', meta_keys={CACHE_META_KEYS}).")
        boxes = [s.get('crop_box') for s in data_samples]
        if any(box is None for box in boxes):
            boxes = None
            self._warn_unchecked_boxes()
        logits = self.cache.lookup([s.sample_idx for s in data_samples],
                                   [s.view_id for s in data_samples], boxes)
        dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        return {'logits_t': logits.to(inputs.device, dtype, non_blocking=True)}

    def _warn_unchecked_boxes(self) -> None:
        """Once: the cache has boxes that the data samples do not carry."""
        if self.cache.crop_boxes is None or self._boxes_unchecked_warned:
            return
        self._boxes_unchecked_warned = True
        print_log(
            "The teacher cache holds crop boxes but the data samples carry no "
            "'crop_box': whether the cache holds the views the pipeline draws is "
            "not checked. Keep it: dict(type='PackInputs', meta_keys=(..., "
            "'view_id', 'crop_box')).",
            'current',
            level=logging.WARNING)
