"""Where a distiller's teacher outputs come from: the teacher model run on the step's
batch (:class:`OnlineTeacher`), or a cache of its logits (:class:`CachedTeacher`).

A source has ``provides`` (the teacher outputs it can give; None: any),
``outputs(inputs, data_samples)``, the ``*_t`` values of one step,
``probe_outputs(inputs)``, what the build-time shape probe sees, ``num_classes()`` and a
``label`` for messages. The distiller builds one and calls it in every step; it never
branches on which one it has.
"""
import logging
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.structures import DataSample
from torch import Tensor

from kd_plugin.utils.provenance import canonical, checkpoint_sha256, dataset_identity
from kd_plugin.utils.teacher_cache import TeacherCache, TeacherCacheError
from .taps import ModelTaps
from .teacher_input import preprocessor_normalisation

CACHE_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'flip', 'flip_direction', 'view_id')
# Keys of the teacher's model config that do not change its outputs once its weights
# are loaded from teacher_ckpt (whose tensors are hashed separately).
NON_ARCHITECTURE_KEYS = ('init_cfg', 'train_cfg', 'data_preprocessor', '_scope_')
CHECK_HOOK = ('default_hooks = dict(teacher_cache_check='
              "dict(type='TeacherCacheCheckHook'))")


def input_encoding(data_preprocessor: nn.Module) -> List[float]:
    """What ``data_preprocessor`` makes of a fixed uint8 probe image (normalisation,
    channel order, padding), rounded to 1e-4: the input encoding a cache's logits
    were computed with."""
    mean, _ = preprocessor_normalisation(data_preprocessor)
    channels = max(3, mean.numel())
    probe = torch.arange(channels * 4, dtype=torch.uint8).view(channels, 2, 2) * 7
    with torch.no_grad():
        encoded = data_preprocessor(dict(inputs=[probe]), False)['inputs']
    if isinstance(encoded, (list, tuple)):  # a preprocessor that does not stack
        encoded = torch.stack(list(encoded))
    return [round(float(v), 4) for v in encoded.float().cpu().flatten()]


def teacher_identity(teacher: Union[Mapping, nn.Module],
                     teacher_ckpt: Optional[str],
                     teacher_input: Optional[dict],
                     teacher_precision: str,
                     data_preprocessor: Optional[nn.Module] = None) -> Dict[str, Any]:
    """What a cache's logits depend on besides the data: the teacher's model config
    (a dict; its architecture keys), a sha256 of its checkpoint's tensors (None
    without ``teacher_ckpt``), ``teacher_input``, ``teacher_precision`` and the input
    encoding (:func:`input_encoding`). ``ckpt`` (the path) only explains a mismatch."""
    if isinstance(teacher, Mapping):
        teacher = {k: v for k, v in teacher.items() if k not in NON_ARCHITECTURE_KEYS}
    return dict(
        config=canonical(teacher),
        ckpt=str(teacher_ckpt) if teacher_ckpt else None,
        weights_sha256=checkpoint_sha256(teacher_ckpt) if teacher_ckpt else None,
        input=canonical(teacher_input),
        precision=teacher_precision,
        input_encoding=(input_encoding(data_preprocessor)
                        if data_preprocessor is not None else None))


class OnlineTeacher:
    """Run the frozen teacher once on the step's batch and record its taps.

    Args:
        taps: The teacher's taps (None: no loss reads a teacher output, the teacher
            does not run).
        run: The distiller's ``run_teacher`` (input adaptation, ``no_grad``,
            precision).
        num_classes: The number of classes the teacher predicts (called only when a
            loss reads its logits).
    """

    provides: Optional[FrozenSet[str]] = None
    label = 'the teacher'

    def __init__(self, taps: Optional[ModelTaps], run: Callable[[Tensor], object],
                 num_classes: Callable[[], int]) -> None:
        self.taps = taps
        self.run = run
        self.num_classes = num_classes

    def probe_outputs(self, inputs: Tensor) -> Dict[str, Tensor]:
        return self.outputs(inputs, [])

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
    device synchronisation).

    What the cache was built from is checked once, never per step: the teacher (model
    config, checkpoint tensors, ``teacher_input``, ``teacher_precision``, input
    encoding; :func:`teacher_identity`) here, the training set by
    :meth:`check_dataset`, which ``TeacherCacheCheckHook`` calls before training and
    without which the first step refuses to run. A mismatch is refused naming what
    differs and the command that rebuilds the cache. A cache made in memory without a
    ``provenance`` record is not checked.

    * Full caches: ``logits_t`` is the online teacher's logits rounded to float16.
    * Top-k caches: the classes not stored get ``min(stored) - fill_margin``
      (:func:`~kd_plugin.utils.teacher_cache.expand_topk`).

    Args:
        cache: The teacher-output cache.
        teacher / teacher_ckpt / teacher_input / teacher_precision: The distiller's
            (``teacher`` as a model config dict), compared with what the cache was
            built from.
        data_preprocessor: The distiller's, whose input encoding is compared.
    """

    provides: FrozenSet[str] = frozenset({'logits_t'})
    label = 'the teacher cache'

    def __init__(self,
                 cache: TeacherCache,
                 teacher: Union[Mapping, nn.Module, None] = None,
                 teacher_ckpt: Optional[str] = None,
                 teacher_input: Optional[dict] = None,
                 teacher_precision: str = 'auto',
                 data_preprocessor: Optional[nn.Module] = None) -> None:
        self.cache = cache
        if cache.provenance is not None:
            cache.check_teacher(
                teacher_identity(teacher, teacher_ckpt, teacher_input, teacher_precision,
                                 data_preprocessor))
        self.dataset_checked = cache.provenance is None
        self._boxes_unchecked_warned = False

    def num_classes(self) -> int:
        return self.cache.num_classes

    def probe_outputs(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Nothing: the cache holds logits of the training set's images only."""
        return {}

    def check_dataset(self, dataset) -> None:
        """Raise unless the cache was built for ``dataset`` (the training set: its
        class, length, data list in order, pipeline and recorded crop); once per run,
        before the first step. 10-20 us per sample on one CPU core (15-30 s for
        ImageNet-1k)."""
        if self.cache.provenance is not None:
            self.cache.check_dataset(dataset_identity(dataset))
        self.dataset_checked = True

    def outputs(self, inputs: Tensor,
                data_samples: List[DataSample]) -> Dict[str, Tensor]:
        if not self.dataset_checked:
            raise TeacherCacheError(
                f'The training set was not checked against the teacher cache '
                f'{self.cache.where}, so it may hold another dataset\'s logits. Add the '
                f'check to the config, {CHECK_HOOK}, or call '
                'model.teacher_source.check_dataset(train_dataset) before training.')
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
