"""Teacher-output cache: the teacher's logits of every view a training pipeline can make.

A frozen teacher in ``eval()`` gives the same logits whenever it sees the same image, so
if the training augmentations can only make a known, finite set of views of each image,
the teacher's logits of all of them can be computed once and looked up during training
instead of running the teacher (``ClassificationDistiller(teacher_cache=...)``). Views are
numbered
``view_id = crop_index * 2 + flip`` (``kd_plugin.datasets.transforms.replayable``):

* CIFAR (exact): zero padding ``p``, random crop back to the image size, horizontal flip
  (``RecordedRandomCrop`` / ``RecordedRandomFlip``) can only make ``(2p + 1)**2 * 2``
  views of an image (162 for ``p = 4``): the cache holds every one, and training is
  exactly the online recipe.
* ImageNet (consistent views): ``RandomResizedCrop`` draws from a continuum, so
  ``RecordedRandomResizedCrop`` restricts it to ``num_draws`` crops per image, each a
  box drawn by ``RandomResizedCrop``'s algorithm from a generator seeded by
  ``(seed, sample_idx, crop)``; the cache holds the ``2 * num_draws`` views of each
  image and the boxes (``crop_boxes``). The student and the teacher always see the
  same view, which Beyer et al. (2022, "Knowledge distillation: A good teacher is
  patient and consistent") find essential (their "fixed" teachers, precomputed on
  views other than the student's, overfit), and each image's crops are stored with
  their soft labels as in FKD (Shen & Xing, 2022, "A Fast Knowledge Distillation
  Framework for Visual Recognition"). The trade-off: the student sees at most
  ``2 * num_draws`` distinct views of each image over the whole schedule instead of a
  fresh crop every epoch, which weakens augmentation on long schedules (Beyer et al.'s
  "patience" asks for many fresh views); Mixup/CutMix, which they add for more views,
  cannot be cached.
  Training draws the crop index from numpy's global generator (``EpochSeedHook``
  keeps ``--resume`` exact) and the distiller
  (:class:`~kd_plugin.models.distillers.CachedTeacher`) checks each sample's box
  against the cache's, which catches a cache built with another seed, another
  ``num_draws`` or crop ranges, or for another dataset or sample order (images of
  the same size in a reordered dataset give the same boxes: that case goes unseen).

:func:`build_teacher_cache` (``tools/build_teacher_cache.py``) replays every view of every
training image (``results['replay_view']``; the pipeline's deterministic prefix, e.g.
``LoadImageFromFile``, runs once per image, in DataLoader workers), runs the teacher in
``eval()`` under ``no_grad`` in batches, and stores fp16 logits in a dense array indexed
by ``(sample index, view id)``:

* full: ``logits`` (N, V, C) float16;
* top-k: ``values`` (N, V, K) float16 (descending) and ``indices`` (N, V, K) int16 (int32
  beyond 32767 classes);
* for ``RecordedRandomResizedCrop`` pipelines, ``crop_boxes`` (N, V / 2, 4) int32: the
  ``(top, left, height, width)`` of each crop, the flip of view ``v`` being ``v % 2``.

Size: ``N * V * C * 2`` bytes full, ``N * V * K * 4`` top-k, plus ``N * V * 8`` for the
boxes; for ImageNet-1k (N = 1.28M) with ``num_draws = 10`` (V = 20): 51 GB full, 1.0 GB
top-10, plus 0.2 GB of boxes. Build time: ``N * V`` teacher forwards (25.6M, twenty
inference epochs of ImageNet) and ``N`` image decodes.

The file is a plain dict of tensors, ints and strings (``torch.load(weights_only=True)``
and ``safe_load`` load it; :class:`TeacherCache` memory-maps it). While building, chunks
of ``chunk_size`` samples are written to ``<out>.parts/`` (atomically); an interrupted
build resumes from the chunks already there, and the parts are merged into ``<out>`` and
removed at the end.
"""
import os
import os.path as osp
from typing import Optional, Union

import torch
from torch import Tensor

FORMAT = 'kd_plugin.teacher_cache/1'
VIEW_ENCODING = ('crop_index * 2 + flip; crop_index = crop_top * crop_cols + crop_left '
                 '(RecordedRandomCrop) or the draw (RecordedRandomResizedCrop)')
DEFAULT_FILL_MARGIN = 1.0e4
REBUILD = 'python tools/build_teacher_cache.py CONFIG --out FILE'


def expand_topk(values: Tensor,
                indices: Tensor,
                num_classes: int,
                margin: float = DEFAULT_FILL_MARGIN) -> Tensor:
    """(B, C) float32 logits from top-k ``values``/``indices``: every class that was
    not stored gets ``min(stored values of its row) - margin``.

    With the default margin (1e4) those classes get probability exactly 0 in float32
    for any softmax temperature below ~100: KD then distils the teacher's distribution
    renormalised over its top k classes (its tail mass is spread proportionally over
    them) instead of the full one. Losses that read logit magnitudes (logit
    standardisation, e.g. LSKD) are changed much more: use a full cache for them.
    """
    values = values.float()
    fill = values.min(dim=1, keepdim=True).values - margin
    full = fill.expand(values.shape[0], num_classes).clone()
    return full.scatter_(1, indices.long(), values)


class TeacherCache:
    """Cached teacher logits, looked up by (sample index, view id).

    Args:
        source: Path of a cache file (memory-mapped), or the file's dict itself.
        fill_margin: For top-k caches, see :func:`expand_topk`.
    """

    def __init__(self,
                 source: Union[str, dict],
                 fill_margin: float = DEFAULT_FILL_MARGIN) -> None:
        if isinstance(source, str):
            if not osp.isfile(source):
                raise FileNotFoundError(
                    f'teacher_cache {source!r} does not exist: build it with {REBUILD}')
            data = torch.load(source, map_location='cpu', weights_only=True, mmap=True)
            self.path = source
        else:
            data, self.path = source, None
        if data.get('format') != FORMAT:
            raise ValueError(f'{self.path or "teacher cache"} is not a {FORMAT} file '
                             f'(format={data.get("format")!r}).')
        self.data = data
        self.num_samples = int(data['num_samples'])
        self.num_views = int(data['num_views'])
        self.num_classes = int(data['num_classes'])
        self.topk = int(data['topk'])
        # (N, V / 2, 4) int32 (top, left, height, width) per crop; None: not recorded.
        self.crop_boxes: Optional[Tensor] = data.get('crop_boxes')
        self.fill_margin = fill_margin

    def lookup(self,
               sample_idx: Tensor,
               view_id: Tensor,
               crop_boxes: Optional[Tensor] = None) -> Tensor:
        """(B, C) float32 teacher logits of these (sample, view) pairs, on CPU.

        ``crop_boxes``: the (B, 4) boxes the pipeline recorded for these views; if
        given, raise unless they are the cache's (:meth:`check_crop_boxes`).
        """
        sample_idx = torch.as_tensor(sample_idx, dtype=torch.long).cpu()
        view_id = torch.as_tensor(view_id, dtype=torch.long).cpu()
        for name, ids, bound in (('sample_idx', sample_idx, self.num_samples),
                                 ('view_id', view_id, self.num_views)):
            if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= bound):
                raise IndexError(
                    f'{name} {ids.tolist()} outside the cache\'s range [0, {bound}): '
                    'the cache was built for another training set or pipeline '
                    f'({self.path or "in-memory cache"}).')
        if crop_boxes is not None:
            self.check_crop_boxes(sample_idx, view_id, crop_boxes)
        if self.topk == 0:
            return self.data['logits'][sample_idx, view_id].float()
        return expand_topk(self.data['values'][sample_idx, view_id],
                           self.data['indices'][sample_idx, view_id], self.num_classes,
                           self.fill_margin)

    def check_crop_boxes(self, sample_idx: Tensor, view_id: Tensor,
                         crop_boxes: Tensor) -> None:
        """Raise unless ``crop_boxes`` (B, 4), what ``RecordedRandomResizedCrop``
        recorded for the views ``(sample_idx, view_id)``, are the boxes cached for
        them."""
        where = self.path or 'in-memory cache'
        if self.crop_boxes is None:
            raise ValueError(
                f'The data samples record crop boxes (RecordedRandomResizedCrop) but the '
                f'teacher cache ({where}) holds none: it was built for another pipeline. '
                f'Rebuild it for this config: {REBUILD}')
        drawn = torch.as_tensor(crop_boxes, dtype=torch.int32).view(-1, 4)
        held = self.crop_boxes[sample_idx, view_id // 2]
        differ = (drawn != held).any(dim=1)
        if differ.any():
            row = int(differ.nonzero()[0])
            raise ValueError(
                f'Sample {int(sample_idx[row])}, view {int(view_id[row])}: the pipeline '
                f'drew the crop box {drawn[row].tolist()} (top, left, height, width), '
                f'the teacher cache ({where}) holds {held[row].tolist()} '
                f'({int(differ.sum())} '
                f'of {len(differ)} views of the batch differ). The cache was built with '
                'another RecordedRandomResizedCrop (seed, num_draws, scale or ratio '
                'ranges) or for another training set or sample order; rebuild it for '
                f'this config: {REBUILD}')


def save_atomic(obj: dict, path: str) -> None:
    """``torch.save`` to ``path.tmp``, then rename: ``path`` is never half-written."""
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)
