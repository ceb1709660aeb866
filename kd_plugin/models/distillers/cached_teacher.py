"""A distiller that reads the teacher's logits from a cache instead of running it."""
import logging
from typing import List, Union

import torch
from mmengine.logging import print_log
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.utils.teacher_cache import DEFAULT_FILL_MARGIN, TeacherCache
from .classification_distiller import ClassificationDistiller, classifier_layer_path
from .taps import resolve_module
from kd_plugin.utils.vocabulary import input_owner

CACHEABLE = ('logits_t', )


@MODELS.register_module()
class CachedTeacherDistiller(ClassificationDistiller):
    """``ClassificationDistiller`` whose ``logits_t`` come from a teacher-output cache.

    The cache (``tools/build_teacher_cache.py``) holds the frozen teacher's logits of
    every view of every training image, for a pipeline of ``RecordedRandomCrop`` (CIFAR,
    exact) or ``RecordedRandomResizedCrop`` (ImageNet, ``num_draws`` fixed crops per
    image: see :mod:`kd_plugin.utils.teacher_cache` for the trade-off) and
    ``RecordedRandomFlip``, whose ``PackInputs`` keeps ``view_id``. In each step the
    logits are looked up by the data samples' ``sample_idx`` and ``view_id``; the
    teacher does not run. When the data samples carry ``crop_box`` (``PackInputs``
    keeping it) and the cache holds boxes, the boxes are compared on the CPU (no device
    synchronisation): a cache built with another crop seed, ``num_draws``, training set
    or sample order is refused. Everything else (student, losses, logging,
    checkpoints) is the parent's.

    * Full caches: ``logits_t`` is the online teacher's logits rounded to float16
      (then float32), so losses match the online run up to that rounding.
    * Top-k caches: the classes not stored get ``min(stored) - teacher_cache_fill_margin``
      (see :func:`kd_plugin.utils.teacher_cache.expand_topk`): with the default
      margin KD distils the teacher's distribution renormalised over its top k classes.

    Only losses whose teacher inputs are all ``logits_t`` can use a cache (a build-time
    error names the others); the teacher must be frozen in eval() (no
    ``teacher_norm_train``) and the data preprocessor must have no batch augments
    (Mixup/CutMix make views that no cache holds).

    Args:
        teacher_cache: The cache file (memory-mapped), or a :class:`TeacherCache`.
        teacher_cache_fill_margin: For top-k caches, the fill value's margin.
        **kwargs: As :class:`ClassificationDistiller`.
    """

    def __init__(self,
                 *args,
                 teacher_cache: Union[str, TeacherCache, None] = None,
                 teacher_cache_fill_margin: float = DEFAULT_FILL_MARGIN,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if teacher_cache is None:
            raise ValueError('CachedTeacherDistiller needs teacher_cache=PATH (built with '
                             'tools/build_teacher_cache.py).')
        uncacheable = sorted({arg for args in (*self._loss_inputs.values(),
                                                self._aux_inputs)
                              for arg in args
                              if input_owner(arg) == 'teacher' and arg not in CACHEABLE})
        if uncacheable:
            users = sorted(name for name, args in self._loss_inputs.items()
                           if set(args) & set(uncacheable))
            if set(self._aux_inputs) & set(uncacheable):
                users.append('aux_batch')
            raise ValueError(
                f'A teacher cache gives only {list(CACHEABLE)}, but {users} ask for the '
                f'teacher inputs {uncacheable}, which need the teacher to run. Use '
                'ClassificationDistiller for these losses.')
        if self.teacher_norm_train:
            raise ValueError('teacher_norm_train changes the teacher while training: its '
                             'outputs cannot be cached.')
        if getattr(self.data_preprocessor, 'batch_augments', None) is not None:
            raise ValueError('Batch augments (Mixup/CutMix) make images no cache holds; '
                             'remove them or use ClassificationDistiller.')
        self.teacher_cache = (teacher_cache if isinstance(teacher_cache, TeacherCache)
                              else TeacherCache(teacher_cache, teacher_cache_fill_margin))
        self._boxes_unchecked_warned = False
        classes = resolve_module(self.teacher, classifier_layer_path(self.teacher),
                                 'teacher').out_features
        if classes != self.teacher_cache.num_classes:
            raise ValueError(f'The teacher cache holds {self.teacher_cache.num_classes} '
                             f'classes, the teacher predicts {classes}: it was built for '
                             'another teacher.')

    def _teacher_outputs(self, inputs: torch.Tensor,
                         data_samples: List[DataSample]) -> dict:
        """``logits_t`` from the cache (the parent runs the teacher here)."""
        if self.teacher_taps is None:
            return {}
        samples = data_samples
        missing = [i for i, s in enumerate(samples)
                   if 'view_id' not in s or 'sample_idx' not in s]
        if missing:
            raise ValueError(
                'The data samples carry no view_id / sample_idx: the training pipeline '
                'must use RecordedRandomCrop or RecordedRandomResizedCrop, and '
                'RecordedRandomFlip, and keep the view id, '
                "dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', "
                "'ori_shape', 'img_shape', 'scale_factor', 'flip', 'flip_direction', "
                "'view_id')).")
        boxes = [s.get('crop_box') for s in samples]
        if any(box is None for box in boxes):
            boxes = None
            self._warn_unchecked_boxes()
        logits = self.teacher_cache.lookup([s.sample_idx for s in samples],
                                           [s.view_id for s in samples], boxes)
        dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        return {'logits_t': logits.to(inputs.device, dtype, non_blocking=True)}

    def _warn_unchecked_boxes(self) -> None:
        """Once: the cache has boxes that the data samples do not carry."""
        if self.teacher_cache.crop_boxes is None or self._boxes_unchecked_warned:
            return
        self._boxes_unchecked_warned = True
        print_log("The teacher cache holds crop boxes but the data samples carry no "
                  "'crop_box': whether the cache holds the views the pipeline draws is "
                  "not checked. Keep it: dict(type='PackInputs', meta_keys=(..., "
                  "'view_id', 'crop_box')).", 'current', level=logging.WARNING)
