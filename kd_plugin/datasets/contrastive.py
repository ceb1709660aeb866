"""Contrast indices for CRD: a dataset wrapper and the hook that tells it the epoch."""
import copy
from typing import Iterator, Optional, Union

import numpy as np
import torch
from mmengine.dataset import force_full_init
from mmengine.hooks import Hook
from mmpretrain.registry import DATASETS, HOOKS

from kd_plugin.utils.vocabulary import batch_metainfo, register_batch_input

CONTRAST_MODES = ('exact', 'relax')


@DATASETS.register_module()
class ContrastiveIndexDataset:
    """Add CRD's contrast indices to every sample of a classification dataset.

    Tian, Krishnan, Isola. "Contrastive Representation Distillation", ICLR 2020
    (``CIFAR100InstanceSample`` of RepDistiller, mdistiller's ``*_crd`` datasets).

    Each item is the wrapped dataset's item (after its pipeline, which must end with
    ``PackInputs``) whose data sample carries, in its metainfo, ``contrast_idx``: an
    int64 array of ``num_negatives + 1`` dataset indices. The distiller stacks them into
    the loss input ``contrast_idx`` (B, K+1); ``sample_idx`` is the wrapped dataset's.

    * ``mode='exact'`` (the original's default): entry 0 is the sample's own index (the
      positive); the ``K`` others are drawn uniformly from the samples of **other
      classes** than the sample's label, without replacement, or with replacement when
      ``K`` exceeds that pool (as RepDistiller's CIFAR sampler; tiny datasets, smoke
      runs).
    * ``mode='relax'``: entry 0 is a random sample of the same class (possibly itself).

    Reproducible and DDP-safe: the draw of sample ``i`` in epoch ``e`` comes from its own
    generator seeded with ``(seed, e, i)``, never from global random state, so it is the
    same whichever process or dataloader worker loads the sample, and the same after a
    resume. The original draws from the global numpy state (different per worker and
    per access). The epoch is set by :class:`ContrastiveEpochHook`, which the config
    lists in ``custom_hooks``; it lives in shared memory, so persistent dataloader
    workers see it. Loading a sample before any epoch was set is an error naming the
    hook (without it every epoch would silently reuse the negatives of epoch 0).

    Args:
        dataset: The classification dataset (config dict or instance), single-label.
        num_negatives: ``K`` (``nce_k``: 16384 in CRD); equal to the loss's.
        mode: ``'exact'`` or ``'relax'``.
        seed: Seed of the draws; keep it equal on every rank.
        lazy_init: Defer reading the labels until ``full_init()`` (mmengine wrappers).
    """

    def __init__(self,
                 dataset: Union[dict, object],
                 num_negatives: int = 16384,
                 mode: str = 'exact',
                 seed: int = 0,
                 lazy_init: bool = False) -> None:
        if mode not in CONTRAST_MODES:
            raise ValueError(f'ContrastiveIndexDataset: mode must be one of '
                             f'{CONTRAST_MODES}, got {mode!r}.')
        if num_negatives < 1:
            raise ValueError(f'ContrastiveIndexDataset: num_negatives must be >= 1, got '
                             f'{num_negatives}.')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.num_negatives = int(num_negatives)
        self.mode = mode
        self.seed = int(seed)
        self._metainfo = getattr(self.dataset, 'metainfo', {})
        # Shared memory: set in the main process, read by (persistent) workers; -1 until
        # the first set_epoch.
        self._epoch = torch.full((), -1, dtype=torch.int64).share_memory_()
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    @property
    def epoch(self) -> int:
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Draw the negatives of ``epoch`` from now on (``ContrastiveEpochHook``)."""
        self._epoch.fill_(int(epoch))

    def full_init(self) -> None:
        """Read every label once and group the indices by class."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = self._labels()
        if len(labels) == 0:
            raise ValueError('ContrastiveIndexDataset: the wrapped dataset is empty.')
        # Indices sorted by class: class c occupies order[start[c]:start[c] + count[c]].
        self._order = np.argsort(labels, kind='stable').astype(np.int64)
        classes, self._start, self._count = np.unique(
            labels[self._order], return_index=True, return_counts=True)
        self._class_pos = {int(c): k for k, c in enumerate(classes)}
        self._labels_array = labels
        if self.mode == 'exact' and len(classes) < 2:
            raise ValueError('ContrastiveIndexDataset: exact mode draws negatives from '
                             'other classes, but the dataset has a single class.')
        self._fully_initialized = True

    def _labels(self) -> np.ndarray:
        if hasattr(self.dataset, 'get_gt_labels'):
            labels = self.dataset.get_gt_labels()
        else:
            labels = [self.dataset.get_cat_ids(i)[0] for i in range(len(self.dataset))]
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError('ContrastiveIndexDataset needs one class label per sample '
                             f'(got labels of shape {labels.shape}).')
        return labels.astype(np.int64)

    @force_full_init
    def contrast_indices(self, index: int, epoch: Optional[int] = None) -> np.ndarray:
        """The ``K + 1`` contrast indices of sample ``index`` in ``epoch`` (int64)."""
        epoch = self.epoch if epoch is None else int(epoch)
        if epoch < 0:
            raise RuntimeError(
                'ContrastiveIndexDataset: no epoch was set, so every epoch would draw '
                "the negatives of epoch 0. Add custom_hooks=[dict(type="
                "'ContrastiveEpochHook')] to the config (or call set_epoch).")
        rng = np.random.default_rng((self.seed, epoch, int(index)))
        pos = self._class_pos[int(self._labels_array[index])]
        start, count = int(self._start[pos]), int(self._count[pos])
        pool = len(self._order) - count
        if pool == 0:
            raise ValueError(f'ContrastiveIndexDataset: sample {index} has no sample of '
                             'another class to contrast with.')
        # Uniform over the other classes' samples: positions in the pool that skips
        # the block of this class in `order`.
        draw = rng.choice(pool, self.num_negatives, replace=self.num_negatives > pool)
        draw = np.where(draw < start, draw, draw + count)
        if self.mode == 'exact':
            positive = int(index)
        else:
            positive = int(self._order[start + rng.integers(count)])
        return np.concatenate([[positive], self._order[draw]]).astype(np.int64)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    @force_full_init
    def __getitem__(self, idx: int) -> dict:
        results = self.dataset[idx]
        sample = results.get('data_samples') if isinstance(results, dict) else None
        if sample is None or not hasattr(sample, 'set_metainfo'):
            raise TypeError(
                'ContrastiveIndexDataset: the wrapped dataset must return packed '
                "samples (dict with 'data_samples'); end its pipeline with PackInputs.")
        sample.set_metainfo(dict(contrast_idx=self.contrast_indices(idx)))
        return results

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)


def contrastive_datasets(dataset) -> Iterator[ContrastiveIndexDataset]:
    """The :class:`ContrastiveIndexDataset` wrappers in a (wrapped) dataset."""
    if isinstance(dataset, ContrastiveIndexDataset):
        yield dataset
    for child in getattr(dataset, 'datasets', None) or []:
        yield from contrastive_datasets(child)
    inner = getattr(dataset, 'dataset', None)
    if inner is not None:
        yield from contrastive_datasets(inner)


register_batch_input(
    'contrast_idx', '(B, K+1) int64 dataset indices to contrast each sample with (CRD): '
    'the positive first, then K negatives; the training set must be wrapped in '
    'ContrastiveIndexDataset', lambda inputs, samples: batch_metainfo(
        samples, 'contrast_idx', inputs.device,
        "wrap the training dataset in ContrastiveIndexDataset, e.g. train_dataloader = "
        "dict(dataset=dict(type='ContrastiveIndexDataset', dataset=<your dataset>, "
        'num_negatives=16384)).'), __name__)


@HOOKS.register_module()
class ContrastiveEpochHook(Hook):
    """Before each training epoch, set the epoch of every ``ContrastiveIndexDataset`` of
    the training dataloader, so each epoch draws new negatives (CRD redraws them on every
    access). Without it every epoch reuses the negatives of epoch 0."""

    priority = 'NORMAL'

    def before_train_epoch(self, runner) -> None:
        for dataset in contrastive_datasets(runner.train_dataloader.dataset):
            dataset.set_epoch(runner.epoch)
