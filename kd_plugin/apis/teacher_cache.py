"""Build a teacher-output cache (the file format: :mod:`kd_plugin.utils.teacher_cache`).

:func:`build_teacher_cache` (``tools/build_teacher_cache.py``) replays every view of every
training image (``results['replay_view']``; the pipeline's deterministic prefix, e.g.
``LoadImageFromFile``, runs once per image, in DataLoader workers), runs the teacher in
``eval()`` under ``no_grad`` in batches through the distiller's ``run_teacher``, and
writes chunks of ``chunk_size`` samples to ``<out>.parts/`` (atomically); an interrupted
build resumes from the chunks already there, and the parts are merged into ``<out>`` and
removed at the end.
"""
import glob
import logging
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from kd_plugin.datasets.transforms.replayable import (
    REPLAY_KEY,
    RecordedRandomCrop,
    RecordedRandomFlip,
    RecordedRandomResizedCrop,
)
from kd_plugin.utils.checkpoint import load_model_weights
from kd_plugin.utils.teacher_cache import FORMAT, VIEW_ENCODING, TeacherCache, save_atomic

# Transforms the builder knows to be deterministic (besides the recorded ones).
DETERMINISTIC_TRANSFORMS = ('PackInputs', 'LoadImageFromFile', 'ToNumpy')


# ---------------------------------------------------------------------- replay
def check_replayable(dataset) -> None:
    """Raise unless every transform of ``dataset``'s pipeline is replayable."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', None)
    if transforms is None or not hasattr(dataset, 'get_data_info'):
        raise TypeError(f'{type(dataset).__name__}: the teacher cache needs an MMEngine '
                        'BaseDataset (get_data_info + pipeline) as the training set.')
    crops = (RecordedRandomCrop, RecordedRandomResizedCrop)
    bad = [
        type(t).__name__ for t in transforms
        if not isinstance(t, (*crops, RecordedRandomFlip))
        and type(t).__name__ not in DETERMINISTIC_TRANSFORMS
    ]
    if bad:
        raise ValueError(
            f'The training pipeline has transforms a teacher cache cannot replay: {bad}. '
            'A cache needs augmentations whose draws are recorded and replayable: use '
            'RecordedRandomCrop / RecordedRandomResizedCrop / RecordedRandomFlip (in '
            'place of RandomCrop / RandomResizedCrop / RandomFlip) and only '
            f'deterministic transforms ({DETERMINISTIC_TRANSFORMS}).')
    recorded_crops = [type(t).__name__ for t in transforms if isinstance(t, crops)]
    if len(recorded_crops) > 1:
        raise ValueError(f'The training pipeline has several recorded crops '
                         f'{recorded_crops}; a view id records one: keep one.')
    packs = [t for t in transforms if type(t).__name__ == 'PackInputs']
    if not packs or 'view_id' not in tuple(getattr(packs[-1], 'meta_keys', ())):
        raise ValueError(
            "The training pipeline's PackInputs must keep the view id, or the distiller "
            "cannot look the teacher's logits up: dict(type='PackInputs', meta_keys=("
            "'sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', "
            "'flip_direction', 'view_id')), plus 'crop_box' after "
            'RecordedRandomResizedCrop.')


def replay(transforms: Sequence, results: dict, view_id: int) -> Tuple[dict, dict]:
    """The packed sample of view ``view_id`` made by ``transforms`` from ``results``
    (left unchanged), and what the pipeline recorded: ``num_views``, ``crop_box``."""
    results = dict(results)
    results[REPLAY_KEY] = int(view_id)
    record = dict(num_views=1, crop_box=None)
    for transform in transforms:
        if type(transform).__name__ == 'PackInputs':
            record.update(
                num_views=int(results.get('num_views', 1)),
                crop_box=results.get('crop_box'))
        results = transform(results)
        if results is None:
            raise ValueError(f'{transform} dropped a sample while replaying it.')
    return results, record


class SampleViews(Dataset):
    """Every view of the samples ``indices`` of a replayable training set, one item
    per sample (for a DataLoader): ``(packed views, crop boxes)``.

    The transforms before the first recorded one (loading, decoding) run once per
    sample, the others once per view. ``crop boxes``: (V / 2, 4) int32, the box of each
    crop (from its unflipped view), or None if the pipeline records none.
    """

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        recorded = (RecordedRandomCrop, RecordedRandomResizedCrop, RecordedRandomFlip)
        transforms = dataset.pipeline.transforms
        split = next((k for k, t in enumerate(transforms) if isinstance(t, recorded)),
                     len(transforms))
        self.dataset, self.indices = dataset, list(indices)
        self.prefix, self.replayed = transforms[:split], transforms[split:]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item: int) -> Tuple[List[dict], Optional[Tensor]]:
        results = self.dataset.get_data_info(self.indices[item])
        for transform in self.prefix:
            results = transform(results)
        packed, record = replay(self.replayed, results, 0)
        views, boxes = [packed], [record['crop_box']]
        for view_id in range(1, record['num_views']):
            packed, record = replay(self.replayed, results, view_id)
            views.append(packed)
            boxes.append(record['crop_box'])
        if boxes[0] is None:
            return views, None
        return views, torch.tensor(boxes[::2], dtype=torch.int32)


def _unbatched(item):
    """A DataLoader ``collate_fn`` for items that are whole samples already."""
    return item


# ---------------------------------------------------------------------- build
def _signature(cfg_model: dict, teacher_ckpt: Optional[str], pipeline: str, topk: int,
               num_samples: int, num_views: int, num_classes: int) -> Dict[str, object]:
    ckpt = str(teacher_ckpt or '')
    mtime = os.stat(ckpt).st_mtime_ns if ckpt and osp.isfile(ckpt) else -1
    return dict(
        format=FORMAT,
        teacher=repr(cfg_model.get('teacher')),
        teacher_ckpt=ckpt,
        teacher_ckpt_mtime=int(mtime),
        pipeline=pipeline,
        topk=int(topk),
        num_samples=int(num_samples),
        num_views=int(num_views),
        num_classes=int(num_classes),
        view_encoding=VIEW_ENCODING)


def _chunk_path(parts: str, start: int, stop: int) -> str:
    return osp.join(parts, f'chunk_{start:08d}_{stop:08d}.pth')


def online_model_cfg(model_cfg: dict) -> dict:
    """The model config without its ``teacher_cache`` (the teacher runs)."""
    model_cfg = dict(model_cfg)
    model_cfg.pop('teacher_cache', None)
    model_cfg.pop('teacher_cache_fill_margin', None)
    return model_cfg


def load_teacher_for_cache(cfg, device: str) -> Tuple[nn.Module, nn.Module]:
    """The distiller of ``cfg`` (for its data preprocessor) and its teacher, with the
    ``teacher_ckpt`` weights, in ``eval()``."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    init_default_scope('mmpretrain')
    distiller = MODELS.build(online_model_cfg(cfg.model))
    teacher = getattr(distiller, 'teacher', None)
    if teacher is None:
        raise ValueError('The config has no teacher: nothing to cache.')
    if distiller.teacher_ckpt:
        load_model_weights(teacher, distiller.teacher_ckpt, role='teacher')
    else:
        print_log(
            'No teacher_ckpt in the config: caching the outputs of a teacher with '
            'the weights of its own config (random unless its init_cfg loads some).',
            'current',
            level=logging.WARNING)
    distiller.to(device)
    teacher.eval()
    return distiller, teacher


def describe(report: dict) -> str:
    """What a build report's cache holds, in words."""
    kind = f"top-{report['topk']}" if report['topk'] else 'full'
    text = (f"{report['num_samples']} samples x {report['num_views']} views x "
            f"{report['num_classes']} classes ({kind}, fp16)")
    if report['crop_boxes']:
        crops = report['num_views'] // 2
        text += f" + crop boxes ({report['num_samples']} x {crops} x 4)"
    return text


@torch.no_grad()
def build_teacher_cache(config,
                        out: str,
                        topk: Optional[int] = None,
                        batch_size: int = 256,
                        chunk_size: int = 256,
                        device: str = 'cpu',
                        num_workers: Optional[int] = None,
                        max_chunks: Optional[int] = None,
                        progress: bool = True) -> dict:
    """Build (or finish) the cache of ``config``'s teacher over its training set.

    Args:
        config: Config path or ``mmengine.Config``.
        out: The cache file.
        topk: Keep the k largest logits per view (values + indices); None: all.
        batch_size: Views per teacher forward.
        chunk_size: Samples per chunk file (the unit of resumption).
        device: Where the teacher runs.
        num_workers: DataLoader workers loading and replaying the images; None: the
            training dataloader's ``num_workers``.
        max_chunks: Stop after computing this many chunks (tests; a partial build).
        progress: Show a progress bar (one step per sample).

    Returns:
        A report: ``complete``, the shape, ``crop_boxes`` (whether boxes are stored),
        ``bytes`` on disk, ``build_s`` (this call), ``chunks_computed`` /
        ``chunks_skipped``.
    """
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar
    from mmpretrain.registry import DATASETS

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    start_time = time.perf_counter()
    if osp.isfile(out):
        cache = TeacherCache(out)
        report = dict(
            out=out,
            complete=True,
            num_samples=cache.num_samples,
            num_views=cache.num_views,
            num_classes=cache.num_classes,
            topk=cache.topk,
            crop_boxes=cache.crop_boxes is not None,
            bytes=os.path.getsize(out),
            build_s=0.0,
            chunks_computed=0,
            chunks_skipped=0)
        print_log(f'{out} is complete already: {describe(report)}.', 'current')
        return report
    distiller, teacher = load_teacher_for_cache(cfg, device)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    check_replayable(dataset)
    if num_workers is None:
        num_workers = int(cfg.train_dataloader.get('num_workers', 0))
    num_samples = len(dataset)
    first_views, first_boxes = SampleViews(dataset, [0])[0]
    num_views = len(first_views)

    def teacher_logits(packed: List[dict]) -> Tensor:
        data = distiller.data_preprocessor(pseudo_collate(packed), False)
        # The distiller's own path: adapted input (teacher_input), teacher_precision.
        logits = distiller.run_teacher(data['inputs'])
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits.float().cpu()

    num_classes = int(teacher_logits(first_views[:1]).shape[1])
    topk = int(topk or 0)
    if topk >= num_classes:
        raise ValueError(f'--topk {topk} must be below the {num_classes} classes '
                         '(or left out for full logits).')
    signature = _signature(
        dict(cfg.model), distiller.teacher_ckpt, repr(dataset.pipeline), topk,
        num_samples, num_views, num_classes)
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
    report = dict(
        out=out,
        num_samples=num_samples,
        num_views=num_views,
        num_classes=num_classes,
        topk=topk,
        crop_boxes=first_boxes is not None,
        chunks_computed=len(pending),
        chunks_skipped=skipped)
    print_log(
        f'Teacher cache: {describe(report)}; {len(done)} of {len(chunks)} chunks '
        f'done, computing {len(pending)} ({num_workers} loader workers).', 'current')
    indices = [i for start, stop in pending for i in range(start, stop)]
    items = iter(
        DataLoader(
            SampleViews(dataset, indices),
            batch_size=None,
            num_workers=num_workers,
            collate_fn=_unbatched))
    bar = ProgressBar(len(indices)) if progress and indices else None
    index_dtype = torch.int16 if num_classes <= 32767 else torch.int32
    for start, stop in pending:
        rows: List[Tensor] = []
        boxes: List[Tensor] = []
        views: List[dict] = []
        for index in range(start, stop):
            sample_views, sample_boxes = next(items)
            if len(sample_views) != num_views:
                raise ValueError(f'sample {index} has {len(sample_views)} views, sample '
                                 f'0 {num_views}: images of different sizes cannot share '
                                 'one dense cache.')
            views += sample_views
            if sample_boxes is not None:
                boxes.append(sample_boxes)
            while len(views) >= batch_size or (views and index == stop - 1):
                rows.append(teacher_logits(views[:batch_size]))
                views = views[batch_size:]
            if bar is not None:
                bar.update()
        logits = torch.cat(rows).view(stop - start, num_views, num_classes)
        if not torch.isfinite(logits).all() or logits.abs().max() > 65504:
            raise ValueError(f'Non-finite or fp16-overflowing teacher logits in samples '
                             f'{start}..{stop - 1}.')
        entry = dict(meta=signature)
        if topk:
            values, indices_k = logits.topk(topk, dim=2)
            entry.update(values=values.half(), indices=indices_k.to(index_dtype))
        else:
            entry.update(logits=logits.half())
        if boxes:
            entry.update(crop_boxes=torch.stack(boxes))
        save_atomic(entry, _chunk_path(parts, start, stop))
        done.append((start, stop))
    if bar is not None:
        print()
    report.update(build_s=time.perf_counter() - start_time)
    if len(done) < len(chunks):
        report.update(complete=False, bytes=_folder_bytes(parts))
        print_log(
            f'Teacher cache: partial, {len(done)} of {len(chunks)} chunks in {parts} '
            '(run again to finish).', 'current')
        return report
    merged = dict(signature)
    keys = ('values', 'indices') if topk else ('logits', )
    keys += ('crop_boxes', ) if report['crop_boxes'] else ()
    loaded = [
        torch.load(_chunk_path(parts, s, e), map_location='cpu', weights_only=True)
        for s, e in chunks
    ]
    for key in keys:
        merged[key] = torch.cat([entry[key] for entry in loaded])
    del loaded
    save_atomic(merged, out)
    shutil.rmtree(parts)
    report.update(
        complete=True,
        bytes=os.path.getsize(out),
        build_s=time.perf_counter() - start_time)
    print_log(
        f'Teacher cache: wrote {out}, {report["bytes"] / 2**20:.1f} MiB, '
        f'{report["build_s"]:.1f} s in this run.', 'current')
    return report


def _folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(osp.join(folder, '*.pth')))
