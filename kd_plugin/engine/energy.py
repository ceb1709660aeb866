"""Dataset-level teacher-energy thresholds (Energy KD, Energy DKD, HE-DA)."""
import hashlib
import json
import logging
import math
import os
import os.path as osp
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.dist import all_gather, broadcast_object_list, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar
from mmpretrain.registry import HOOKS
from torch import Tensor

from kd_plugin.models.distillers.teacher_sources import input_encoding
from kd_plugin.utils.checkpoint import save_atomic
from kd_plugin.utils.provenance import (
    COMPARED_DATASET_KEYS,
    dataset_identity,
    state_dict_sha256,
)

CACHE_PREFIX = 'energy_thresholds_'
CACHE_VERSION = 'kd_plugin.energy_thresholds/2'


def energy_thresholds(energies: Tensor, low_rate: float,
                      high_rate: float) -> Tuple[float, float]:
    """``(low, high)`` from the (N,) energies of the training set.

    Sorted ascending: ``low = E[floor(N * low_rate)]`` and
    ``high = E[-(floor(N * high_rate) + 1)]`` (the reference's ``cal_energy``), i.e.
    about ``low_rate`` of the samples lie below ``low`` and ``high_rate`` above ``high``.
    """
    ordered = energies.flatten().sort().values
    count = ordered.numel()
    if count == 0:
        raise ValueError('EnergyThresholdHook: no training sample gave an energy.')
    low = ordered[int(math.floor(count * low_rate))]
    high = ordered[-(int(math.floor(count * high_rate)) + 1)]
    return float(low), float(high)


def gather_energies(energies: Tensor) -> Tensor:
    """Concatenate the (N_r,) energies of all ranks (sizes may differ); identity
    without distributed training."""
    world_size = get_dist_info()[1]
    if world_size == 1:
        return energies
    count = torch.tensor([energies.numel()], device=energies.device)
    counts = [int(c) for c in all_gather(count)]
    padded = energies.new_zeros(max(counts))
    padded[:energies.numel()] = energies
    parts = all_gather(padded)
    return torch.cat([part[:n] for part, n in zip(parts, counts)])


@HOOKS.register_module()
class EnergyThresholdHook(Hook):
    """Compute the teacher-energy thresholds before training (Energy KD / DKD, HE-DA).

    Kim et al. "Maximizing Discrimination Capability of Knowledge Distillation with
    Energy Function", Knowledge-Based Systems 2024 (arXiv 2311.14334): the
    reference's ``cal_energy`` runs the teacher once over the training loader, sorts
    the energies ``E = -T_e logsumexp(z_t / T_e)`` and takes the ``low_rate`` /
    ``high_rate`` quantiles (:func:`energy_thresholds`).

    In ``before_train`` it finds every module of the distiller with a
    ``set_energy_thresholds(low, high)`` method whose thresholds are not set yet
    (a resumed run loads them from the checkpoint, as buffers, and skips the pass).
    For those it runs the teacher in eval mode under ``no_grad`` over the *training*
    dataloader, with its training augmentation and shuffling as in the reference
    (so the thresholds depend on the seed), skipping a final partial batch as the
    reference does, with inputs from ``data_preprocessor(data, False)`` (no batch
    Mixup/CutMix). Under distributed training every rank gathers the energies of all
    ranks, so all get the same thresholds (the reference computes them per process).

    The result ``{low, high, num_samples}`` is cached in
    ``<cache_dir or work_dir>/energy_thresholds_<hash>.pth`` (plain tensors, loadable
    with ``torch.load(weights_only=True)``, written atomically) and reused by later
    runs with the same key (:meth:`cache_key`): the training set's identity (class,
    length, data-list fingerprint, pipeline; ``kd_plugin.utils.provenance``), a
    sha256 of the teacher's loaded weights, its input path (``teacher_input``,
    ``teacher_precision``, input normalisation), the rates and ``T_e``. The file
    stores its key; a file that cannot be read (truncated), holds another key or
    non-finite thresholds is recomputed and rewritten, with a warning naming it.

    Args:
        low_rate: Fraction of samples below the low threshold (0.2; HE-DA: 0).
        high_rate: Fraction of samples above the high threshold (0.2; HE-DA: 0.5).
        energy_temperature: ``T_e`` (4).
        cache_dir: Folder of the cache file; ``None``: the runner's work dir.
    """

    priority = 'NORMAL'

    def __init__(self,
                 low_rate: float = 0.2,
                 high_rate: float = 0.2,
                 energy_temperature: float = 4.0,
                 cache_dir: Optional[str] = None) -> None:
        for name, rate in (('low_rate', low_rate), ('high_rate', high_rate)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f'EnergyThresholdHook: {name} must be in [0, 1), '
                                 f'got {rate}')
        self.low_rate = low_rate
        self.high_rate = high_rate
        self.energy_temperature = energy_temperature
        self.cache_dir = cache_dir

    # ------------------------------------------------------------------ hook
    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        users = [(name, module) for name, module in model.named_modules()
                 if callable(getattr(module, 'set_energy_thresholds', None))]
        pending = [(name, module) for name, module in users
                   if not getattr(module, 'energy_thresholds_set', False)]
        if not users:
            print_log(
                'EnergyThresholdHook: no module uses energy thresholds; nothing '
                'to do.', 'current')
            return
        if not pending:
            print_log(
                'EnergyThresholdHook: thresholds already set (resumed or loaded '
                'checkpoint); skipping the teacher pass.', 'current')
            return
        for name, module in pending:
            module_t = getattr(module, 'energy_temperature', self.energy_temperature)
            if module_t != self.energy_temperature:
                raise ValueError(
                    f'EnergyThresholdHook: {name} computes energies at T_e={module_t} '
                    f'but the hook at energy_temperature={self.energy_temperature}; '
                    'set the same value in both.')
        low, high, count = self.compute_thresholds(runner, model)
        for _, module in pending:
            module.set_energy_thresholds(low, high)
        print_log(
            f'EnergyThresholdHook: low={low:.4f}, high={high:.4f} from {count} '
            f'training samples; set on {[name for name, _ in pending]}.', 'current')

    # ------------------------------------------------------------- thresholds
    def compute_thresholds(self, runner, model: nn.Module) -> Tuple[float, float, int]:
        """``(low, high, N)``, from the cache or from a teacher pass."""
        teacher = getattr(model, 'teacher', None)
        if not isinstance(teacher, nn.Module):
            raise ValueError('EnergyThresholdHook needs a distiller with a teacher '
                             f'(got {type(model).__name__} without `teacher`).')
        rank, world_size = get_dist_info()
        key = path = None
        cached = [None]
        if rank == 0:
            key = self.cache_key(runner, model, teacher)
            path = self.cache_path(runner, key) if key is not None else None
            cached[0] = self.read_cache(path, key) if path is not None else None
        if world_size > 1:
            broadcast_object_list(cached, src=0)
        if cached[0] is not None:
            print_log(f'EnergyThresholdHook: reusing the thresholds cached in {path}.',
                      'current')
            return cached[0]
        energies = gather_energies(self.teacher_energies(runner, model, teacher))
        low, high = energy_thresholds(energies, self.low_rate, self.high_rate)
        count = energies.numel()
        if path is not None:
            os.makedirs(osp.dirname(path), exist_ok=True)
            save_atomic(
                dict(
                    key=key,
                    low=torch.tensor(low),
                    high=torch.tensor(high),
                    num_samples=torch.tensor(count)), path)
        return low, high, count

    def cache_key(self, runner, model: nn.Module, teacher: nn.Module) -> Optional[str]:
        """What the thresholds depend on, as JSON text; None (nothing cached) when
        the training loader has no dataset to identify."""
        dataset = getattr(runner.train_loop.dataloader, 'dataset', None)
        if dataset is None or not hasattr(dataset, 'get_data_info'):
            print_log(
                'EnergyThresholdHook: the training loader has no dataset with '
                'get_data_info to identify; the thresholds are not cached.', 'current')
            return None
        identity = dataset_identity(dataset)
        return json.dumps(
            dict(
                version=CACHE_VERSION,
                dataset={key: identity[key]
                         for key in COMPARED_DATASET_KEYS},
                teacher=dict(
                    weights_sha256=state_dict_sha256(teacher.state_dict()),
                    teacher_input=repr(getattr(model, 'teacher_input', None)),
                    teacher_precision=getattr(model, 'teacher_precision', None),
                    input_encoding=input_encoding(model.data_preprocessor)),
                low_rate=self.low_rate,
                high_rate=self.high_rate,
                t_e=self.energy_temperature),
            sort_keys=True)

    def cache_path(self, runner, key: str) -> str:
        """The cache file of this key."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        folder = self.cache_dir or runner.work_dir
        return osp.join(folder, f'{CACHE_PREFIX}{digest}.pth')

    @staticmethod
    def read_cache(path: str, key: str) -> Optional[Tuple[float, float, int]]:
        """``(low, high, N)`` from ``path`` if it holds thresholds computed for
        ``key``; None (a warning naming the file unless it does not exist) when it
        must be recomputed."""
        if not osp.isfile(path):
            return None
        try:
            entry = torch.load(path, map_location='cpu', weights_only=True)
            stored = entry['key']
            low, high = float(entry['low']), float(entry['high'])
            count = int(entry['num_samples'])
        except Exception as error:  # truncated, corrupt or another format: recompute
            why = f'cannot be read ({type(error).__name__}: {error})'
        else:
            if stored != key:  # a file copied in by hand: the name is the key's hash
                why = 'was computed for another training set or teacher'
            elif not (math.isfinite(low) and math.isfinite(high)):
                why = f'holds non-finite thresholds ({low}, {high})'
            else:
                return low, high, count
        print_log(
            f'EnergyThresholdHook: {path} {why}; recomputing the thresholds and '
            'rewriting it.',
            'current',
            level=logging.WARNING)
        return None

    @torch.no_grad()
    def teacher_energies(self, runner, model: nn.Module, teacher: nn.Module) -> Tensor:
        """(N,) energies of this rank's training samples (full batches only)."""
        dataloader = runner.train_loop.dataloader
        batch_size = getattr(dataloader, 'batch_size', None)
        energies: List[Tensor] = []
        last_partial: Optional[Tensor] = None
        was_training = teacher.training
        teacher.eval()
        print_log(
            'EnergyThresholdHook: computing teacher energies over the training '
            'set.', 'current')
        progress = ProgressBar(len(dataloader)) if get_dist_info()[0] == 0 else None
        try:
            # One epoch: len() bounds the pass for infinite samplers (iteration loops).
            for _, data in zip(range(len(dataloader)), dataloader):
                data = model.data_preprocessor(data, False)
                inputs = data['inputs']
                samples = data.get('data_samples')
                count = inputs.shape[0] if samples is None else len(samples)
                inputs = inputs[:count]  # view 0 of a view-major multi-view batch
                if batch_size and count < batch_size:
                    last_partial = inputs  # skipped, as the reference does
                else:
                    energies.append(self._energy(model, teacher, inputs))
                if progress is not None:
                    progress.update()
            if not energies and last_partial is not None:
                print_log(
                    'EnergyThresholdHook: the training set is smaller than one '
                    'batch; using the partial batch.', 'current')
                energies.append(self._energy(model, teacher, last_partial))
        finally:
            teacher.train(was_training)
        if progress is not None:
            print()  # ProgressBar leaves the cursor at the end of its line.
        return torch.cat(energies) if energies else torch.zeros(0)

    def _energy(self, model: nn.Module, teacher: nn.Module, inputs: Tensor) -> Tensor:
        from kd_plugin.models.dis_losses.utils import energy_score

        # The distiller's own path: the teacher sees its adapted input, as in training.
        run_teacher = getattr(model, 'run_teacher', None)
        logits = (
            run_teacher(inputs) if run_teacher is not None else teacher(
                inputs, mode='tensor'))
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return energy_score(logits, self.energy_temperature).float()
