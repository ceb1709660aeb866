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
  (:class:`~kd_plugin.models.distillers.CachedTeacher`) also checks each sample's
  box against the cache's, on the CPU, in every step.

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
and ``safe_load`` load it; :class:`TeacherCache` memory-maps it). Besides the arrays it
holds:

* ``provenance``: what it was built from (``kd_plugin.utils.provenance``): the training
  set (class, length, a fingerprint of its data list in order, the pipeline, the
  recorded crop's seed and ``num_draws``; ``data_root``/``ann_file`` to explain a
  mismatch), the teacher (its model config, a sha256 of its checkpoint's tensors,
  ``teacher_input``, ``teacher_precision``, what the data preprocessor makes of a fixed
  probe image), the view encoding, ``num_views``, ``num_classes`` and ``topk``. The
  distiller compares the teacher part when it is built and the training set before the
  first step (``TeacherCacheCheckHook``), and refuses a cache built from anything else,
  naming what differs and the command that rebuilds it.
* ``chunks``: ``[{start, stop, sha256}]``, a sha256 of each chunk's bytes (all arrays
  of samples ``start..stop - 1``). Each chunk is checked against it, and for finite
  values, before any of its logits is used: all at once when the cache is opened if
  its arrays take at most ``EAGER_VERIFY_BYTES`` (2 GiB; about 4 s per GiB from the page
  cache on one CPU core, plus the disk read of a cold file: 4.8 s for the 1.15 GiB
  top-10 ImageNet cache), else each chunk when a lookup first touches it (a full
  ImageNet cache, 51 GB, would take minutes at every start; spread over the first epoch
  it costs nothing noticeable per step). A flipped
  bit is refused naming the file, the chunk, its samples and the rebuild command; so is
  a file that cannot be read (truncated).

Files are written atomically (:func:`~kd_plugin.utils.checkpoint.save_atomic`). While
building, chunks of ``chunk_size`` samples are written to ``<out>.parts/``, each with
the provenance and its checksum; an interrupted build resumes from the chunks already
there if they were built from the same inputs (chunks of another build are refused,
never merged), and the parts are merged into ``<out>`` and removed at the end.
"""
import os.path as osp
from typing import Any, List, Mapping, Optional, Sequence, Union

import torch
from torch import Tensor

from .provenance import COMPARED_DATASET_KEYS, differences, state_dict_sha256

FORMAT = 'kd_plugin.teacher_cache/2'
VIEW_ENCODING = ('crop_index * 2 + flip; crop_index = crop_top * crop_cols + crop_left '
                 '(RecordedRandomCrop) or the draw (RecordedRandomResizedCrop)')
DEFAULT_FILL_MARGIN = 1.0e4
TENSOR_KEYS = ('logits', 'values', 'indices', 'crop_boxes')
FLOAT_KEYS = ('logits', 'values')
# Teacher identity entries that must match; 'ckpt' (the path) only explains a mismatch.
COMPARED_TEACHER_KEYS = ('config', 'weights_sha256', 'input', 'precision',
                         'input_encoding')
EAGER_VERIFY_BYTES = 2 * 2**30
VERIFY_MODES = ('auto', 'full', 'lazy')


def rebuild_command(path: Optional[str] = None, config: str = 'CONFIG') -> str:
    """The command that (re)builds the cache ``path`` for ``config``."""
    return (f'python tools/build_teacher_cache.py {config} --out {path or "FILE"} '
            '--overwrite')


class TeacherCacheError(ValueError):
    """A teacher cache this run cannot use: the message names the file, what is wrong
    and the command that rebuilds it."""


def provenance_differences(expected: Mapping[str, Any], found: Mapping[str, Any],
                           found_as: str, expected_as: str) -> List[str]:
    """What differs between two provenance records: the dataset and teacher entries
    that must match (not where the files are), and everything else."""
    compared = dict(dataset=COMPARED_DATASET_KEYS, teacher=COMPARED_TEACHER_KEYS)
    lines = []
    for key in sorted(set(expected) | set(found)):
        want, have = expected.get(key), found.get(key)
        if key in compared and isinstance(want, Mapping) and isinstance(have, Mapping):
            lines += differences(want, have, compared[key], found_as, expected_as,
                                 f'{key}.')
        else:
            lines += differences({key: want}, {key: have}, None, found_as, expected_as)
    return lines


def chunk_sha256(arrays: Mapping[str, Tensor]) -> str:
    """The checksum of one chunk: sha256 of its arrays (names, dtypes, shapes, bytes)."""
    return state_dict_sha256(arrays)


def read_cache_file(path: str) -> dict:
    """The cache file's dict, memory-mapped; a missing or unreadable (truncated) file
    raises an error naming it and the rebuild command."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'teacher_cache {path!r} does not exist: build it with '
                                f'{rebuild_command(path)}')
    try:
        data = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    except Exception as error:  # zip, pickle and OS errors alike: the file is broken
        raise TeacherCacheError(
            f'The teacher cache {path} cannot be read ({type(error).__name__}: '
            f'{error}); it is truncated or corrupt (an interrupted copy?). Rebuild it: '
            f'{rebuild_command(path)}') from error
    if not isinstance(data, dict):
        raise TeacherCacheError(f'{path} is not a teacher cache (a '
                                f'{type(data).__name__}, not a dict).')
    return data


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
        source: Path of a cache file (memory-mapped), or the file's dict itself (an
            in-memory dict may leave out ``provenance`` and ``chunks``: nothing is
            then checked).
        fill_margin: For top-k caches, see :func:`expand_topk`.
        verify: When the chunks are checked against their checksums: ``'full'`` all
            when opened, ``'lazy'`` each when a lookup first touches it, ``'auto'``
            full up to ``EAGER_VERIFY_BYTES`` of arrays, else lazy.
    """

    def __init__(self,
                 source: Union[str, dict],
                 fill_margin: float = DEFAULT_FILL_MARGIN,
                 verify: str = 'auto') -> None:
        if verify not in VERIFY_MODES:
            raise ValueError(f'verify={verify!r}: expected one of {list(VERIFY_MODES)}')
        if isinstance(source, str):
            data, self.path = read_cache_file(source), source
        else:
            data, self.path = source, None
        self.where = self.path or 'in-memory cache'
        if data.get('format') != FORMAT:
            raise TeacherCacheError(
                f'{self.where} is not a {FORMAT} file (format={data.get("format")!r}; '
                'caches of kd_plugin.teacher_cache/1 record neither what they were '
                f'built from nor checksums). Rebuild it: {rebuild_command(self.path)}')
        self.data = data
        self.num_samples = int(data['num_samples'])
        self.num_views = int(data['num_views'])
        self.num_classes = int(data['num_classes'])
        self.topk = int(data['topk'])
        # (N, V / 2, 4) int32 (top, left, height, width) per crop; None: not recorded.
        self.crop_boxes: Optional[Tensor] = data.get('crop_boxes')
        self.fill_margin = fill_margin
        self.provenance: Optional[dict] = data.get('provenance')
        self.chunks: List[dict] = list(data.get('chunks') or [])
        if self.path is not None and (self.provenance is None or not self.chunks):
            raise TeacherCacheError(
                f'{self.path} lacks its provenance or chunk checksums. Rebuild it: '
                f'{rebuild_command(self.path)}')
        self._check_layout()
        self._chunk_starts = torch.tensor([c['start'] for c in self.chunks],
                                          dtype=torch.long)
        # Chunks not verified yet; None once all are.
        self._unverified: Optional[Tensor] = (
            torch.ones(len(self.chunks), dtype=torch.bool) if self.chunks else None)
        if verify == 'full' or (verify == 'auto' and self.nbytes <= EAGER_VERIFY_BYTES):
            self.verify()

    @property
    def arrays(self) -> dict:
        """The stored arrays by name (``logits`` or ``values``/``indices``, and
        ``crop_boxes`` when recorded)."""
        return {key: self.data[key] for key in TENSOR_KEYS if key in self.data}

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.arrays.values())

    def _check_layout(self) -> None:
        """The arrays have the recorded shapes and the chunks cover every sample."""
        shape = (self.num_samples, self.num_views)
        expected = dict(
            logits=shape + (self.num_classes, ),
            values=shape + (self.topk, ),
            indices=shape + (self.topk, ),
            crop_boxes=(self.num_samples, self.num_views // 2, 4))
        names = ('values', 'indices') if self.topk else ('logits', )
        missing = [name for name in names if name not in self.data]
        wrong = [
            f'{name} {tuple(t.shape)} (expected {expected[name]})'
            for name, t in self.arrays.items() if tuple(t.shape) != expected[name]
        ]
        bounds = [(int(c['start']), int(c['stop'])) for c in self.chunks]
        covered = (not bounds
                   or (bounds[0][0] == 0 and bounds[-1][1] == self.num_samples
                       and all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
                       and all(start < stop for start, stop in bounds)))
        if missing or wrong or not covered:
            raise TeacherCacheError(
                f'{self.where} is inconsistent (missing arrays {missing}, shapes '
                f'{wrong}, chunks cover all samples: {covered}). Rebuild it: '
                f'{rebuild_command(self.path)}')

    # ------------------------------------------------------------ integrity
    def verify(self, chunks: Optional[Sequence[int]] = None) -> None:
        """Check the ``chunks`` (default: every unverified one) against their
        checksums and for finite values; raise :class:`TeacherCacheError` naming the
        first bad one."""
        if self._unverified is None:
            return
        if chunks is None:
            chunks = self._unverified.nonzero().flatten().tolist()
        for index in chunks:
            if self._unverified[index]:
                self._verify_chunk(index)
                self._unverified[index] = False
        if not self._unverified.any():
            self._unverified = None

    def _verify_chunk(self, index: int) -> None:
        chunk = self.chunks[index]
        start, stop = int(chunk['start']), int(chunk['stop'])
        arrays = {name: t[start:stop] for name, t in self.arrays.items()}
        where = (f'{self.where}, chunk {index} (samples {start}..{stop - 1} of '
                 f'{self.num_samples})')
        found = chunk_sha256(arrays)
        if found != chunk['sha256']:
            raise TeacherCacheError(
                f'{where}: the stored bytes do not match their checksum (sha256 '
                f'{found[:16]}..., built as {chunk["sha256"][:16]}...): the file '
                'changed after it was built (disk or copy corruption). Rebuild it: '
                f'{rebuild_command(self.path)}')
        for name in FLOAT_KEYS:
            # Finite fp16 values sum to a finite float32; one inf or NaN does not.
            if name in arrays and not torch.isfinite(
                    arrays[name].sum(dtype=torch.float32)):
                bad = ~torch.isfinite(arrays[name].float()).flatten(1).all(1)
                raise TeacherCacheError(
                    f'{where}: non-finite {name} at samples '
                    f'{(bad.nonzero().flatten() + start).tolist()[:8]}. Rebuild it: '
                    f'{rebuild_command(self.path)}')

    def _verify_samples(self, sample_idx: Tensor) -> None:
        """Verify the chunks holding these samples that are not verified yet."""
        chunk = torch.searchsorted(self._chunk_starts, sample_idx, right=True) - 1
        pending = chunk[self._unverified[chunk]]
        if pending.numel():
            self.verify(pending.unique().tolist())

    # ------------------------------------------------------------ provenance
    def check_teacher(self, identity: Mapping[str, Any]) -> None:
        """Raise unless the cache was built from this teacher (``identity``: see
        ``kd_plugin.models.distillers.teacher_sources.teacher_identity``)."""
        self._check_provenance('teacher', identity, COMPARED_TEACHER_KEYS, 'ckpt')

    def check_dataset(self, identity: Mapping[str, Any]) -> None:
        """Raise unless the cache was built for this training set (``identity``:
        :func:`~kd_plugin.utils.provenance.dataset_identity`)."""
        self._check_provenance('dataset', identity, COMPARED_DATASET_KEYS, 'data_root',
                               'ann_file', 'data_prefix')

    def _check_provenance(self, part: str, identity: Mapping[str, Any],
                          compared: Sequence[str], *context: str) -> None:
        if self.provenance is None:
            return
        recorded = self.provenance[part]
        found = differences(identity, recorded, compared, 'cache', 'this run')
        if not found:
            return
        found += differences(identity, recorded, context, 'cache', 'this run')
        what = 'teacher' if part == 'teacher' else 'training set'
        raise TeacherCacheError(
            f'The teacher cache {self.where} was built for another {what}: ' +
            '; '.join(found) + f'. Rebuild it for this config: '
            f'{rebuild_command(self.path)}')

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
                    f'({self.where}).')
        if self._unverified is not None:
            self._verify_samples(sample_idx)
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
        where = self.where
        if self.crop_boxes is None:
            raise TeacherCacheError(
                f'The data samples record crop boxes (RecordedRandomResizedCrop) but the '
                f'teacher cache ({where}) holds none: it was built for another pipeline. '
                f'Rebuild it for this config: {rebuild_command(self.path)}')
        drawn = torch.as_tensor(crop_boxes, dtype=torch.int32).view(-1, 4)
        held = self.crop_boxes[sample_idx, view_id // 2]
        differ = (drawn != held).any(dim=1)
        if differ.any():
            row = int(differ.nonzero()[0])
            raise TeacherCacheError(
                f'Sample {int(sample_idx[row])}, view {int(view_id[row])}: the pipeline '
                f'drew the crop box {drawn[row].tolist()} (top, left, height, width), '
                f'the teacher cache ({where}) holds {held[row].tolist()} '
                f'({int(differ.sum())} '
                f'of {len(differ)} views of the batch differ). The cache was built with '
                'another RecordedRandomResizedCrop (seed, num_draws, scale or ratio '
                'ranges) or for another training set or sample order; rebuild it for '
                f'this config: {rebuild_command(self.path)}')
