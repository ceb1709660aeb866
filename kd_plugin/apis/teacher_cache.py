"""Build a teacher-output cache (the file format: :mod:`kd_plugin.utils.teacher_cache`).

:func:`build_teacher_cache` (``tools/build_teacher_cache.py``) replays every view of every
training image (``results['replay_view']``; the pipeline's deterministic prefix, e.g.
``LoadImageFromFile``, runs once per image, in DataLoader workers), runs the teacher in
``eval()`` under ``no_grad`` in batches through the distiller's ``run_teacher``, and
writes chunks of ``chunk_size`` samples to ``<out>.parts/`` (atomically); an interrupted
build resumes from the chunks already there, and the parts are merged into ``<out>`` and
removed at the end.

Every chunk and the merged file record what they were built from (the training set's
identity, the teacher's config and weights, the input encoding, the views: the
``provenance`` of the format). A resumed build reuses only chunks of the same
provenance, and an existing ``out`` built from anything else (say a 32-sample cache for
a 64-sample training set) is refused, or rebuilt with ``overwrite``.
"""
import glob
import logging
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence, Tuple

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
from kd_plugin.models.distillers.classification_distiller import model_config
from kd_plugin.models.distillers.teacher_sources import teacher_identity
from kd_plugin.utils.checkpoint import load_model_weights, save_atomic
from kd_plugin.utils.provenance import dataset_identity
from kd_plugin.utils.teacher_cache import (
    FORMAT,
    TENSOR_KEYS,
    VIEW_ENCODING,
    TeacherCache,
    TeacherCacheError,
    chunk_sha256,
    provenance_differences,
)

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
def online_model_cfg(model_cfg: dict) -> dict:
    """The model config without its ``teacher_cache`` (the teacher runs)."""
    model_cfg = dict(model_cfg)
    model_cfg.pop('teacher_cache', None)
    model_cfg.pop('teacher_cache_fill_margin', None)
    return model_cfg


def runner_model_cfg(cfg) -> dict:
    """The online model config as MMEngine's runner builds it: without the
    ``teacher_cache``, and with the config's top-level ``data_preprocessor`` where the
    model sets none (``Runner`` does ``model.setdefault('data_preprocessor', ...)``),
    so the cache holds the teacher's logits of the inputs training normalises."""
    model_cfg = online_model_cfg(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return model_cfg


def load_teacher_for_cache(cfg) -> Tuple[nn.Module, nn.Module]:
    """The distiller of ``cfg`` as the runner builds it (for its data preprocessor)
    and its teacher, with the ``teacher_ckpt`` weights, in ``eval()``, on the CPU."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    init_default_scope('mmpretrain')
    distiller = MODELS.build(runner_model_cfg(cfg))
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


def teacher_logits(distiller: nn.Module, packed: List[dict]) -> Tensor:
    """(B, C) float32 CPU logits of the teacher on packed samples, through the
    distiller's own path (data preprocessor, ``teacher_input``,
    ``teacher_precision``)."""
    from mmengine.dataset import pseudo_collate

    data = distiller.data_preprocessor(pseudo_collate(packed), False)
    logits = distiller.run_teacher(data['inputs'])
    if isinstance(logits, (tuple, list)):
        logits = logits[-1]
    return logits.float().cpu()


@dataclass
class BuildPlan:
    """What a build computes and what it can reuse.

    ``provenance``: what the cache is built from (the file's ``provenance`` entry,
    every chunk's ``meta``); ``chunks``: every ``(start, stop)``; ``done``: those whose
    chunk file is there, from this very build; ``complete``: ``out`` exists, was built
    from the same inputs and passes its checks.
    """
    out: str
    distiller: nn.Module
    dataset: Dataset
    provenance: dict
    chunks: List[Tuple[int, int]]
    done: List[Tuple[int, int]] = field(default_factory=list)
    complete: bool = False

    @property
    def parts(self) -> str:
        return self.out + '.parts'

    @property
    def num_samples(self) -> int:
        return int(self.provenance['dataset']['length'])

    @property
    def num_views(self) -> int:
        return int(self.provenance['num_views'])

    @property
    def num_classes(self) -> int:
        return int(self.provenance['num_classes'])

    @property
    def topk(self) -> int:
        return int(self.provenance['topk'])

    @property
    def index_dtype(self) -> torch.dtype:
        """The dtype of a top-k cache's class indices."""
        return torch.int16 if self.num_classes <= 32767 else torch.int32

    @property
    def crop_boxes(self) -> bool:
        return bool(self.provenance['crop_boxes'])

    @property
    def pending(self) -> List[Tuple[int, int]]:
        return [chunk for chunk in self.chunks if chunk not in self.done]

    def report(self, **extra) -> dict:
        return dict(
            out=self.out,
            num_samples=self.num_samples,
            num_views=self.num_views,
            num_classes=self.num_classes,
            topk=self.topk,
            crop_boxes=self.crop_boxes,
            **extra)


def chunk_path(parts: str, start: int, stop: int) -> str:
    return osp.join(parts, f'chunk_{start:08d}_{stop:08d}.pth')


def plan_build(cfg,
               out: str,
               topk: Optional[int] = None,
               chunk_size: int = 256,
               overwrite: bool = False) -> BuildPlan:
    """Load the teacher and the training set, record what the cache is built from,
    and find what can be reused: a complete ``out`` (:func:`existing_output_complete`)
    and the chunk files of an interrupted build of the same inputs
    (:func:`reusable_chunks`)."""
    from mmpretrain.registry import DATASETS

    distiller, _ = load_teacher_for_cache(cfg)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    check_replayable(dataset)
    if len(dataset) == 0:
        raise ValueError('The training set is empty: there is nothing to cache.')
    first_views, first_boxes = SampleViews(dataset, [0])[0]
    num_classes = int(teacher_logits(distiller, first_views[:1]).shape[1])
    topk = int(topk or 0)
    if topk >= num_classes:
        raise ValueError(f'--topk {topk} must be below the {num_classes} classes '
                         '(or left out for full logits).')
    provenance = dict(
        format=FORMAT,
        dataset=dataset_identity(dataset),
        teacher=teacher_identity(
            model_config(cfg.model.teacher), distiller.teacher_ckpt,
            cfg.model.get('teacher_input'), distiller.teacher_precision,
            distiller.data_preprocessor),
        view_encoding=VIEW_ENCODING,
        num_views=len(first_views),
        num_classes=num_classes,
        topk=topk,
        crop_boxes=first_boxes is not None)
    num_samples = len(dataset)
    plan = BuildPlan(
        out=out,
        distiller=distiller,
        dataset=dataset,
        provenance=provenance,
        chunks=[(s, min(s + chunk_size, num_samples))
                for s in range(0, num_samples, chunk_size)])
    plan.complete = existing_output_complete(out, provenance, overwrite)
    if not plan.complete:
        plan.done = reusable_chunks(plan, overwrite)
    return plan


def existing_output_complete(out: str, provenance: dict, overwrite: bool) -> bool:
    """Whether ``out`` exists, was built from ``provenance`` and passes its checks.
    An ``out`` built from anything else, or broken, is refused unless ``overwrite``
    (it is then rebuilt and replaced once the new one is complete)."""
    if not osp.isfile(out):
        return False
    if overwrite:
        print_log(f'{out} exists: it will be replaced (--overwrite).', 'current')
        return False
    try:
        cache = TeacherCache(out, verify='full')
    except TeacherCacheError as error:
        raise TeacherCacheError(
            f'{out} exists but is unusable ({error}). Rebuild it with '
            '--overwrite.') from error
    found = provenance_differences(provenance, cache.provenance, 'existing file',
                                   'this config')
    if found:
        raise TeacherCacheError(
            f'{out} exists and was built from other inputs than this config: ' +
            '; '.join(found) + '. Rebuild it with --overwrite, or choose another --out.')
    return True


def read_chunk(path: str) -> Optional[dict]:
    """A chunk file's content, or None (with a warning) if it cannot be read or its
    arrays do not match its checksum: the chunk is then computed again."""
    try:
        chunk = torch.load(path, map_location='cpu', weights_only=True)
        arrays = {key: chunk[key] for key in TENSOR_KEYS if key in chunk}
        if chunk_sha256(arrays) == chunk['sha256']:
            return chunk
        why = 'its arrays do not match its checksum'
    except Exception as error:  # a broken partial file: recompute it
        why = f'{type(error).__name__}: {error}'
    print_log(
        f'{path} is corrupt ({why}): computing that chunk again.',
        'current',
        level=logging.WARNING)
    return None


def reusable_chunks(plan: BuildPlan, overwrite: bool) -> List[Tuple[int, int]]:
    """The chunks of ``plan`` whose files in ``plan.parts`` come from a build of the
    same inputs. A chunk file of another build is refused (deleted with
    ``overwrite``): chunks of different builds are never merged."""
    os.makedirs(plan.parts, exist_ok=True)
    wanted = set(plan.chunks)
    done = []
    for path in sorted(glob.glob(osp.join(plan.parts, 'chunk_*.pth'))):
        chunk = read_chunk(path)
        if chunk is None:
            os.remove(path)
            continue
        found = provenance_differences(plan.provenance, chunk['meta'], 'chunk',
                                       'this config')
        if found and not overwrite:
            raise TeacherCacheError(
                f'{path} belongs to another build: ' + '; '.join(found) +
                '. Rerun with --overwrite to discard the chunks of that build, or '
                f'delete {plan.parts}.')
        bounds = (int(chunk['start']), int(chunk['stop']))
        if found or bounds not in wanted:  # another build, or another --chunk-size
            os.remove(path)
        else:
            done.append(bounds)
    return sorted(done)


def compute_chunk(plan: BuildPlan, start: int, stop: int, items: Iterator,
                  batch_size: int, bar) -> dict:
    """The chunk of samples ``start..stop - 1``: their views' teacher logits (full or
    top-k, fp16), crop boxes, checksum and the plan's provenance; ``items`` yields
    each sample's ``(views, boxes)`` in order."""
    rows: List[Tensor] = []
    boxes: List[Tensor] = []
    views: List[dict] = []
    for index in range(start, stop):
        sample_views, sample_boxes = next(items)
        if len(sample_views) != plan.num_views:
            raise ValueError(f'sample {index} has {len(sample_views)} views, sample 0 '
                             f'{plan.num_views}: images of different sizes cannot '
                             'share one dense cache.')
        views += sample_views
        if sample_boxes is not None:
            boxes.append(sample_boxes)
        while len(views) >= batch_size or (views and index == stop - 1):
            rows.append(teacher_logits(plan.distiller, views[:batch_size]))
            views = views[batch_size:]
        if bar is not None:
            bar.update()
    logits = torch.cat(rows).view(stop - start, plan.num_views, plan.num_classes)
    if not torch.isfinite(logits).all() or logits.abs().max() > 65504:
        raise ValueError(f'Non-finite or fp16-overflowing teacher logits in samples '
                         f'{start}..{stop - 1}.')
    if plan.topk:
        values, indices = logits.topk(plan.topk, dim=2)
        arrays = dict(values=values.half(), indices=indices.to(plan.index_dtype))
    else:
        arrays = dict(logits=logits.half())
    if boxes:
        arrays.update(crop_boxes=torch.stack(boxes))
    return dict(
        meta=plan.provenance,
        start=start,
        stop=stop,
        sha256=chunk_sha256(arrays),
        **arrays)


def merge_chunks(plan: BuildPlan) -> None:
    """Merge the chunk files of ``plan`` (each checked again against the provenance
    and its checksum) into ``plan.out``, written atomically, with the chunk table;
    then remove the parts and check the written file in full."""
    shape = (plan.num_samples, plan.num_views)
    if plan.topk:
        arrays = dict(
            values=torch.empty(shape + (plan.topk, ), dtype=torch.float16),
            indices=torch.empty(shape + (plan.topk, ), dtype=plan.index_dtype))
    else:
        arrays = dict(
            logits=torch.empty(shape + (plan.num_classes, ), dtype=torch.float16))
    if plan.crop_boxes:
        arrays.update(
            crop_boxes=torch.empty(
                plan.num_samples, plan.num_views // 2, 4, dtype=torch.int32))
    table = []
    for start, stop in plan.chunks:
        path = chunk_path(plan.parts, start, stop)
        chunk = read_chunk(path)
        if chunk is None or provenance_differences(plan.provenance, chunk['meta'],
                                                   'chunk', 'this config'):
            raise TeacherCacheError(
                f'{path} changed while building; run the build again.')
        for key, array in arrays.items():
            array[start:stop] = chunk[key]
        table.append(dict(start=start, stop=stop, sha256=chunk['sha256']))
    save_atomic(
        dict(
            format=FORMAT,
            num_samples=plan.num_samples,
            num_views=plan.num_views,
            num_classes=plan.num_classes,
            topk=plan.topk,
            provenance=plan.provenance,
            chunks=table,
            **arrays), plan.out)
    shutil.rmtree(plan.parts)
    TeacherCache(plan.out, verify='full')


@torch.no_grad()
def build_teacher_cache(config,
                        out: str,
                        topk: Optional[int] = None,
                        batch_size: int = 256,
                        chunk_size: int = 256,
                        device: str = 'cpu',
                        num_workers: Optional[int] = None,
                        max_chunks: Optional[int] = None,
                        progress: bool = True,
                        overwrite: bool = False) -> dict:
    """Build (or finish) the cache of ``config``'s teacher over its training set:
    :func:`plan_build`, :func:`compute_chunk` for each missing chunk,
    :func:`merge_chunks`.

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
        overwrite: Replace an ``out`` built from other inputs (or broken) and discard
            the chunk files of another build, instead of refusing.

    Returns:
        A report: ``complete``, the shape, ``crop_boxes`` (whether boxes are stored),
        ``bytes`` on disk, ``build_s`` (this call), ``chunks_computed`` /
        ``chunks_skipped``.
    """
    from mmengine.config import Config
    from mmengine.utils import ProgressBar

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    start_time = time.perf_counter()
    plan = plan_build(cfg, out, topk, chunk_size, overwrite)
    if plan.complete:
        report = plan.report(
            complete=True,
            bytes=osp.getsize(out),
            build_s=time.perf_counter() - start_time,
            chunks_computed=0,
            chunks_skipped=0)
        print_log(f'{out} is complete already: {describe(report)}.', 'current')
        return report
    plan.distiller.to(device)
    if num_workers is None:
        num_workers = int(cfg.train_dataloader.get('num_workers', 0))
    pending = plan.pending[:max_chunks] if max_chunks is not None else plan.pending
    report = plan.report(chunks_computed=len(pending), chunks_skipped=len(plan.done))
    print_log(
        f'Teacher cache: {describe(report)}; {len(plan.done)} of {len(plan.chunks)} '
        f'chunks done, computing {len(pending)} ({num_workers} loader workers).',
        'current')
    indices = [i for start, stop in pending for i in range(start, stop)]
    items = iter(
        DataLoader(
            SampleViews(plan.dataset, indices),
            batch_size=None,
            num_workers=num_workers,
            collate_fn=_unbatched))
    bar = ProgressBar(len(indices)) if progress and indices else None
    for start, stop in pending:
        chunk = compute_chunk(plan, start, stop, items, batch_size, bar)
        save_atomic(chunk, chunk_path(plan.parts, start, stop))
        plan.done.append((start, stop))
    if bar is not None:
        print()
    if plan.pending:
        report.update(
            complete=False,
            bytes=_folder_bytes(plan.parts),
            build_s=time.perf_counter() - start_time)
        print_log(
            f'Teacher cache: partial, {len(plan.done)} of {len(plan.chunks)} chunks in '
            f'{plan.parts} (run again to finish).', 'current')
        return report
    merge_chunks(plan)
    report.update(
        complete=True, bytes=osp.getsize(out), build_s=time.perf_counter() - start_time)
    print_log(
        f'Teacher cache: wrote {out}, {report["bytes"] / 2**20:.1f} MiB, '
        f'{report["build_s"]:.1f} s in this run.', 'current')
    return report


def _folder_bytes(folder: str) -> int:
    return sum(osp.getsize(p) for p in glob.glob(osp.join(folder, '*.pth')))
