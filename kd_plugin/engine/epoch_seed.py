"""Per-epoch seeding of every random number generator that augmentations draw from."""
import functools
import logging
import multiprocessing
import random
from typing import Callable, Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import set_random_seed
from mmpretrain.registry import HOOKS

from kd_plugin.utils import compat

# Rank r draws from seed + epoch + r * RANK_STRIDE: no two (rank, epoch) pairs of a run
# shorter than RANK_STRIDE epochs share a stream (MMEngine's seed + rank makes rank 1's
# epoch e the stream of rank 0's epoch e + 1).
RANK_STRIDE = 100_003


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """The seed of the main process of ``rank`` in ``epoch``."""
    return (seed + epoch + rank * RANK_STRIDE) % 2**32


def worker_seed(seed: int, epoch: int, rank: int, worker_id: int) -> int:
    """The seed of DataLoader worker ``worker_id`` of ``rank`` in ``epoch``."""
    return int(
        np.random.SeedSequence([seed % 2**32, epoch, rank,
                                worker_id]).generate_state(1)[0])


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _EpochReseededPipeline:
    """A dataset's pipeline inside a DataLoader worker: before the first sample of an
    epoch it reseeds the worker's RNGs (:func:`worker_seed`), so persistent workers
    draw each epoch's augmentations from that epoch's seed, as fresh workers do."""

    def __init__(self, pipeline: Callable, epoch, seed: int, rank: int,
                 worker_id: int) -> None:
        self.pipeline = pipeline
        self._epoch, self._seed, self._rank, self._worker = epoch, seed, rank, worker_id
        self._seeded_for: Optional[int] = None

    def __call__(self, results):
        epoch = self._epoch.value
        if epoch != self._seeded_for:
            _seed_all(worker_seed(self._seed, epoch, self._rank, self._worker))
            self._seeded_for = epoch
        return self.pipeline(results)

    def __getattr__(self, name: str):
        return getattr(self.pipeline, name)


def _datasets(dataset):
    """``dataset`` and the datasets it wraps (``.dataset``, ``.datasets``)."""
    stack, seen = [dataset], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = getattr(current, 'dataset', None)
        if inner is not None:
            stack.append(inner)
        stack.extend(getattr(current, 'datasets', None) or [])


def has_pipeline(dataset) -> bool:
    """Whether ``dataset`` (or one it wraps) applies its transforms through a
    ``pipeline`` attribute, which :class:`EpochSeedHook` can reseed per epoch."""
    return any(callable(getattr(d, 'pipeline', None)) for d in _datasets(dataset))


def _init_worker(worker_id: int, previous: Optional[Callable], epoch, seed: int,
                 rank: int) -> None:
    if previous is not None:
        previous(worker_id)
    dataset = torch.utils.data.get_worker_info().dataset
    for inner in _datasets(dataset):
        if callable(getattr(inner, 'pipeline', None)):
            inner.pipeline = _EpochReseededPipeline(inner.pipeline, epoch, seed, rank,
                                                    worker_id)
    _seed_all(worker_seed(seed, epoch.value, rank, worker_id))


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed the RNGs (python, numpy, torch) that augmentations draw from, from
    ``(seed, epoch, rank)``, at every epoch, in the main process and in the
    DataLoader workers.

    MMEngine 0.10.7 saves only the seed in a checkpoint and does not restore the global
    RNG states on ``--resume``; transforms such as RandomCrop draw from them, so a
    resumed run would see other augmentations than an uninterrupted one. Seeding every
    epoch from the runner's seed and the epoch index makes each epoch's randomness
    independent of what ran before (validation, an interruption), so resuming at an
    epoch boundary is bit-identical on CPU. Consecutive epochs draw different
    augmentations, and so do the ranks of a distributed run (:func:`epoch_seed`).

    DataLoader workers: MMEngine seeds each worker from ``seed + worker id``, the same
    in every epoch, and persistent workers keep one stream for the whole run. The hook
    gives each worker a stream per epoch (:func:`worker_seed` of seed, epoch, rank and
    worker id): it wraps the dataset's ``pipeline`` in each worker, which reseeds before
    the epoch's first sample, so fresh and persistent workers draw alike and a resume
    continues exactly. A dataset without a ``pipeline`` attribute is reseeded only when
    its workers start; with ``persistent_workers=True`` the hook then warns that a
    resumed run draws other augmentations.

    The default runtime (``configs/_base_/default_runtime.py``) sets it as
    ``default_hooks.epoch_seed``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._epoch = None

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if loader.num_workers == 0:
            return
        self._epoch = multiprocessing.RawValue('q', runner.epoch)
        previous = loader.worker_init_fn
        if isinstance(previous, functools.partial) and previous.func is _init_worker:
            previous = previous.keywords['previous']
        loader.worker_init_fn = functools.partial(
            _init_worker,
            previous=previous,
            epoch=self._epoch,
            seed=runner.seed,
            rank=get_rank())
        if loader.persistent_workers and not has_pipeline(loader.dataset):
            print_log(
                f'EpochSeedHook: {type(loader.dataset).__name__} has no pipeline '
                'attribute to reseed in the persistent DataLoader workers: their '
                'augmentations are not reseeded per epoch, so a resumed run draws other '
                'augmentations than an uninterrupted one. Set persistent_workers=False '
                'for an exact resume.',
                logger='current',
                level=logging.WARNING)

    def before_train_epoch(self, runner) -> None:
        deterministic = compat.randomness_deterministic(runner)
        set_random_seed(
            epoch_seed(runner.seed, runner.epoch, get_rank()),
            deterministic=deterministic,
            diff_rank_seed=False)
        if self._epoch is not None:
            self._epoch.value = runner.epoch
