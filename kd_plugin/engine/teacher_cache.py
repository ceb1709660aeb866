"""Exact teacher-output cache for a finite augmentation space (CIFAR crop + flip).

A frozen teacher in ``eval()`` gives the same logits whenever it sees the same image. With
CIFAR's recipe (zero padding ``p``, random crop back to the image size, horizontal flip)
every training image has only ``(2p + 1)**2 * 2`` possible views (162 for ``p = 4``), so
the teacher's logits of *every* view of *every* image can be computed once and looked up
during training instead of running the teacher (:class:`CachedTeacherDistiller`).

:func:`build_teacher_cache` (``tools/build_teacher_cache.py``) replays each view with
``RecordedRandomCrop`` / ``RecordedRandomFlip`` (``results['replay_view']``), runs the
teacher in ``eval()`` under ``no_grad`` in batches, and stores fp16 logits in a dense
array indexed by ``(sample index, view id)``:

* full: ``logits`` (N, V, C) float16;
* top-k: ``values`` (N, V, K) float16 (descending) and ``indices`` (N, V, K) int16 (int32
  beyond 32767 classes).

The file is a plain dict of tensors, ints and strings (``torch.load(weights_only=True)``
and ``safe_load`` load it; :class:`TeacherCache` memory-maps it). While building, chunks
of ``chunk_size`` samples are written to ``<out>.parts/`` (atomically); an interrupted
build resumes from the chunks already there, and the parts are merged into ``<out>`` and
removed at the end.
"""
import glob
import logging
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch import Tensor

FORMAT = 'kd_plugin.teacher_cache/1'
VIEW_ENCODING = '(crop_top * crop_cols + crop_left) * 2 + flip'
DEFAULT_FILL_MARGIN = 1.0e4
# Transforms the builder knows to be deterministic (besides the recorded ones).
DETERMINISTIC_TRANSFORMS = ('PackInputs', 'LoadImageFromFile', 'ToNumpy')


# ---------------------------------------------------------------------- lookup
def expand_topk(values: Tensor, indices: Tensor, num_classes: int,
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

    def __init__(self, source: Union[str, dict],
                 fill_margin: float = DEFAULT_FILL_MARGIN) -> None:
        if isinstance(source, str):
            if not osp.isfile(source):
                raise FileNotFoundError(
                    f'teacher_cache {source!r} does not exist: build it with '
                    'python tools/build_teacher_cache.py CONFIG --out FILE')
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
        self.fill_margin = fill_margin

    def lookup(self, sample_idx: Tensor, view_id: Tensor) -> Tensor:
        """(B, C) float32 teacher logits of these (sample, view) pairs, on CPU."""
        sample_idx = torch.as_tensor(sample_idx, dtype=torch.long).cpu()
        view_id = torch.as_tensor(view_id, dtype=torch.long).cpu()
        for name, ids, bound in (('sample_idx', sample_idx, self.num_samples),
                                 ('view_id', view_id, self.num_views)):
            if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= bound):
                raise IndexError(
                    f'{name} {ids.tolist()} outside the cache\'s range [0, {bound}): '
                    'the cache was built for another training set or pipeline '
                    f'({self.path or "in-memory cache"}).')
        if self.topk == 0:
            return self.data['logits'][sample_idx, view_id].float()
        return expand_topk(self.data['values'][sample_idx, view_id],
                           self.data['indices'][sample_idx, view_id],
                           self.num_classes, self.fill_margin)


# ---------------------------------------------------------------------- replay
def check_replayable(dataset) -> None:
    """Raise unless every transform of ``dataset``'s pipeline is replayable."""
    from kd_plugin.datasets.transforms.replayable import (RecordedRandomCrop,
                                                          RecordedRandomFlip)
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', None)
    if transforms is None or not hasattr(dataset, 'get_data_info'):
        raise TypeError(f'{type(dataset).__name__}: the teacher cache needs an MMEngine '
                        'BaseDataset (get_data_info + pipeline) as the training set.')
    bad = [type(t).__name__ for t in transforms
           if not isinstance(t, (RecordedRandomCrop, RecordedRandomFlip))
           and type(t).__name__ not in DETERMINISTIC_TRANSFORMS]
    if bad:
        raise ValueError(
            f'The training pipeline has transforms a teacher cache cannot replay: {bad}. '
            'An exact cache needs a finite augmentation space whose draws are recorded: '
            'use RecordedRandomCrop / RecordedRandomFlip (in place of RandomCrop / '
            f'RandomFlip) and only deterministic transforms ({DETERMINISTIC_TRANSFORMS}).')
    packs = [t for t in transforms if type(t).__name__ == 'PackInputs']
    if not packs or 'view_id' not in tuple(getattr(packs[-1], 'meta_keys', ())):
        raise ValueError(
            "The training pipeline's PackInputs must keep the view id, or the distiller "
            "cannot look the teacher's logits up: dict(type='PackInputs', meta_keys=("
            "'sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', "
            "'flip_direction', 'view_id')).")


def replay(dataset, info: dict, view_id: int) -> Tuple[dict, int]:
    """The packed sample of view ``view_id`` of a data info, and the number of views."""
    from kd_plugin.datasets.transforms.replayable import REPLAY_KEY
    results = dict(info)
    results[REPLAY_KEY] = int(view_id)
    num_views = 1
    for transform in dataset.pipeline.transforms:
        if type(transform).__name__ == 'PackInputs':
            num_views = results.get('num_views', 1)
        results = transform(results)
        if results is None:
            raise ValueError(f'{transform} dropped a sample while replaying it.')
    return results, int(num_views)


# ---------------------------------------------------------------------- build
def _signature(cfg_model: dict, teacher_ckpt: Optional[str], pipeline: str, topk: int,
               num_samples: int, num_views: int, num_classes: int) -> Dict[str, object]:
    ckpt = str(teacher_ckpt or '')
    mtime = os.stat(ckpt).st_mtime_ns if ckpt and osp.isfile(ckpt) else -1
    return dict(format=FORMAT, teacher=repr(cfg_model.get('teacher')), teacher_ckpt=ckpt,
                teacher_ckpt_mtime=int(mtime), pipeline=pipeline, topk=int(topk),
                num_samples=int(num_samples), num_views=int(num_views),
                num_classes=int(num_classes), view_encoding=VIEW_ENCODING)


def _save_atomic(obj: dict, path: str) -> None:
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _chunk_path(parts: str, start: int, stop: int) -> str:
    return osp.join(parts, f'chunk_{start:08d}_{stop:08d}.pth')


def load_teacher_for_cache(cfg, device: str) -> Tuple[nn.Module, nn.Module]:
    """The distiller of ``cfg`` (for its data preprocessor) and its teacher, with the
    ``teacher_ckpt`` weights, in ``eval()``."""
    import kd_plugin  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    from .checkpoint import load_model_weights
    init_default_scope('mmpretrain')
    model_cfg = dict(cfg.model)
    if model_cfg.get('type') == 'CachedTeacherDistiller':
        model_cfg['type'] = 'ClassificationDistiller'
        model_cfg.pop('teacher_cache', None)
        model_cfg.pop('teacher_cache_fill_margin', None)
    distiller = MODELS.build(model_cfg)
    teacher = getattr(distiller, 'teacher', None)
    if teacher is None:
        raise ValueError('The config has no teacher: nothing to cache.')
    if distiller.teacher_ckpt:
        load_model_weights(teacher, distiller.teacher_ckpt, role='teacher')
    else:
        print_log('No teacher_ckpt in the config: caching the outputs of a teacher with '
                  'the weights of its own config (random unless its init_cfg loads some).',
                  'current', level=logging.WARNING)
    distiller.to(device)
    teacher.eval()
    return distiller, teacher


@torch.no_grad()
def build_teacher_cache(config, out: str, topk: Optional[int] = None,
                        batch_size: int = 256, chunk_size: int = 256,
                        device: str = 'cpu', max_chunks: Optional[int] = None,
                        progress: bool = True) -> dict:
    """Build (or finish) the cache of ``config``'s teacher over its training set.

    Args:
        config: Config path or ``mmengine.Config``.
        out: The cache file.
        topk: Keep the k largest logits per view (values + indices); None: all.
        batch_size: Views per teacher forward.
        chunk_size: Samples per chunk file (the unit of resumption).
        device: Where the teacher runs.
        max_chunks: Stop after computing this many chunks (tests; a partial build).
        progress: Show a progress bar.

    Returns:
        A report: ``complete``, the shape, ``bytes`` on disk, ``build_s`` (this call),
        ``chunks_computed`` / ``chunks_skipped``.
    """
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar
    from mmpretrain.registry import DATASETS

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    start_time = time.perf_counter()
    if osp.isfile(out):
        cache = TeacherCache(out)
        print_log(f'{out} is complete already ({cache.num_samples} samples, '
                  f'{cache.num_views} views).', 'current')
        return dict(out=out, complete=True, num_samples=cache.num_samples,
                    num_views=cache.num_views, num_classes=cache.num_classes,
                    topk=cache.topk, bytes=os.path.getsize(out), build_s=0.0,
                    chunks_computed=0, chunks_skipped=0)
    distiller, teacher = load_teacher_for_cache(cfg, device)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    check_replayable(dataset)
    num_samples = len(dataset)
    _, num_views = replay(dataset, dataset.get_data_info(0), 0)

    def teacher_logits(packed: List[dict]) -> Tensor:
        data = distiller.data_preprocessor(pseudo_collate(packed), False)
        logits = teacher(data['inputs'], mode='tensor')
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits.float().cpu()

    first = teacher_logits([replay(dataset, dataset.get_data_info(0), 0)[0]])
    num_classes = int(first.shape[1])
    topk = int(topk or 0)
    if topk >= num_classes:
        raise ValueError(f'--topk {topk} must be below the {num_classes} classes '
                         '(or left out for full logits).')
    signature = _signature(dict(cfg.model), distiller.teacher_ckpt,
                           repr(dataset.pipeline), topk, num_samples, num_views,
                           num_classes)
    parts = out + '.parts'
    os.makedirs(parts, exist_ok=True)
    chunks = [(s, min(s + chunk_size, num_samples))
              for s in range(0, num_samples, chunk_size)]
    done = []
    for start, stop in chunks:
        path = _chunk_path(parts, start, stop)
        if osp.isfile(path):
            meta = torch.load(path, map_location='cpu', weights_only=True)['meta']
            if meta != signature:
                raise ValueError(
                    f'{path} belongs to another build (teacher, checkpoint, pipeline or '
                    f'top-k differ): delete {parts} or choose another --out.')
            done.append((start, stop))
    pending = [c for c in chunks if c not in done]
    skipped = len(done)
    if max_chunks is not None:
        pending = pending[:max_chunks]
    print_log(f'Teacher cache: {num_samples} samples x {num_views} views x '
              f'{num_classes} classes ({"full" if not topk else f"top-{topk}"}, fp16); '
              f'{len(done)} of {len(chunks)} chunks done, computing {len(pending)}.',
              'current')
    bar = None
    if progress and pending:
        total = sum(-(-(stop - start) * num_views // batch_size)
                    for start, stop in pending)
        bar = ProgressBar(total)
    index_dtype = torch.int16 if num_classes <= 32767 else torch.int32
    for start, stop in pending:
        pairs = [(i, v) for i in range(start, stop) for v in range(num_views)]
        rows: List[Tensor] = []
        infos: Dict[int, dict] = {}
        for b in range(0, len(pairs), batch_size):
            packed = []
            for i, v in pairs[b:b + batch_size]:
                if i not in infos:
                    infos = {i: dataset.get_data_info(i)}  # one sample at a time
                sample, views = replay(dataset, infos[i], v)
                if views != num_views:
                    raise ValueError(f'sample {i} has {views} views, sample 0 '
                                     f'{num_views}: images of different sizes cannot '
                                     'share one dense cache.')
                packed.append(sample)
            rows.append(teacher_logits(packed))
            if bar is not None:
                bar.update()
        logits = torch.cat(rows).view(stop - start, num_views, num_classes)
        if not torch.isfinite(logits).all() or logits.abs().max() > 65504:
            raise ValueError(f'Non-finite or fp16-overflowing teacher logits in samples '
                             f'{start}..{stop - 1}.')
        entry = dict(meta=signature)
        if topk:
            values, indices = logits.topk(topk, dim=2)
            entry.update(values=values.half(), indices=indices.to(index_dtype))
        else:
            entry.update(logits=logits.half())
        _save_atomic(entry, _chunk_path(parts, start, stop))
        done.append((start, stop))
    if bar is not None:
        print()
    build_s = time.perf_counter() - start_time
    report = dict(out=out, num_samples=num_samples, num_views=num_views,
                  num_classes=num_classes, topk=topk, build_s=build_s,
                  chunks_computed=len(pending), chunks_skipped=skipped)
    if len(done) < len(chunks):
        report.update(complete=False, bytes=_folder_bytes(parts))
        print_log(f'Teacher cache: partial, {len(done)} of {len(chunks)} chunks in {parts} '
                  '(run again to finish).', 'current')
        return report
    merged = dict(signature)
    keys = ('values', 'indices') if topk else ('logits', )
    loaded = [torch.load(_chunk_path(parts, s, e), map_location='cpu', weights_only=True)
              for s, e in chunks]
    for key in keys:
        merged[key] = torch.cat([entry[key] for entry in loaded])
    del loaded
    _save_atomic(merged, out)
    shutil.rmtree(parts)
    report.update(complete=True, bytes=os.path.getsize(out),
                  build_s=time.perf_counter() - start_time)
    print_log(f'Teacher cache: wrote {out}, {report["bytes"] / 2**20:.1f} MiB, '
              f'{report["build_s"]:.1f} s in this run.', 'current')
    return report


def _folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(osp.join(folder, '*.pth')))
