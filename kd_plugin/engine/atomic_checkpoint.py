"""Checkpoints that survive a kill, a power loss or a full disk.

MMEngine 0.10.7's ``CheckpointHook`` removes the oldest checkpoint *before* it writes the
next one, writes the next one directly under its final name, and rewrites
``last_checkpoint`` in place. A run killed while a checkpoint is written (or a disk that
fills up) then leaves a truncated ``epoch_N.pth`` under its final name, and with
``max_keep_ckpts=1`` no complete checkpoint at all, with ``last_checkpoint`` naming a
deleted or broken file.

:class:`AtomicCheckpointHook` keeps MMEngine's behaviour and options and changes the
order of the file operations:

1. every checkpoint file is written to a hidden temporary file next to its final name,
   flushed, fsynced and renamed over the final name (``os.replace``, through the
   ``kd_atomic_local`` file backend), so a file under its final name is always complete;
2. ``last_checkpoint`` is rewritten the same way, after the checkpoint it names is in
   place;
3. the checkpoints that ``max_keep_ckpts`` (or a better ``save_best`` checkpoint)
   retires are removed last.

Before the first epoch it estimates the size of the next checkpoint (model state and
optimizer state) and refuses to start when the output folder's disk cannot hold it.
"""
import contextlib
import errno
import os
import os.path as osp
import re
import shutil
from typing import Iterator, List, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend, register_backend
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from kd_plugin.utils import compat
from kd_plugin.utils.checkpoint import atomic_write, temporary_file_pattern

ATOMIC_BACKEND = 'kd_atomic_local'
_MIB = 2**20


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose ``put`` writes atomically
    (:func:`kd_plugin.utils.checkpoint.atomic_write`)."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(str(filepath), obj)


register_backend(ATOMIC_BACKEND, AtomicLocalBackend)


def _tensor_bytes(state) -> int:
    """Bytes of the tensors in a nested state (dicts, lists, tuples)."""
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, dict):
        return sum(_tensor_bytes(value) for value in state.values())
    if isinstance(state, (list, tuple)):
        return sum(_tensor_bytes(value) for value in state)
    return 0


def _optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """The optimizer state's bytes; before the first step (no state yet), its expected
    size: one buffer per trainable parameter for SGD with momentum, none without, two
    (the moment estimates of Adam, AdamW, LAMB ...) for any other optimizer."""
    if optimizer.state:
        return _tensor_bytes(optimizer.state_dict()['state'])
    groups = optimizer.param_groups
    params = sum(
        _tensor_bytes(p) for group in groups for p in group['params'] if p.requires_grad)
    if isinstance(optimizer, torch.optim.SGD):
        return params if any(group.get('momentum', 0) for group in groups) else 0
    return 2 * params


def estimate_checkpoint_bytes(model: torch.nn.Module, optim_wrapper,
                              save_optimizer: bool) -> int:
    """Expected size of a runner checkpoint of ``model`` (its ``state_dict``, without
    a distiller's teacher) and, with ``save_optimizer``, the optimizer state of
    ``optim_wrapper`` (an ``OptimWrapper`` or ``OptimWrapperDict``), plus 5 % and
    1 MiB for the pickle, the message hub and the config."""
    total = _tensor_bytes(model.state_dict())
    if save_optimizer and optim_wrapper is not None:
        wrappers = getattr(optim_wrapper, 'optim_wrappers', {'': optim_wrapper})
        total += sum(
            _optimizer_state_bytes(wrapper.optimizer) for wrapper in wrappers.values())
    return int(total * 1.05) + _MIB


def _existing_folder(path: str) -> str:
    path = osp.abspath(path)
    while not osp.isdir(path) and osp.dirname(path) != path:
        path = osp.dirname(path)
    return path


class _DeferredRemovals:
    """Stands in for a file backend and postpones its ``remove``/``rmtree`` calls."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.pending: List[str] = []

    def remove(self, path) -> None:
        self.pending.append(str(path))

    def rmtree(self, path) -> None:
        self.pending.append(str(path))

    def __getattr__(self, name: str):
        return getattr(self._backend, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` (same arguments) with crash-safe file operations.

    A checkpoint appears under its final name only when it is complete (temporary file,
    flush, fsync, ``os.replace``); ``last_checkpoint`` is updated next, atomically; the
    checkpoints retired by ``max_keep_ckpts`` or by a new best checkpoint are removed
    only after that. Killed at any moment, the output folder holds the previous
    complete checkpoint and a ``last_checkpoint`` that names a complete file. The
    hidden temporary files of a killed save are removed when the next run starts.

    Before the first epoch the hook estimates the size of the next checkpoint
    (:func:`estimate_checkpoint_bytes`, plus the model state again for a ``save_best``
    checkpoint) and raises ``OSError(ENOSPC)`` when the output folder's disk has less
    free space, instead of failing at the end of the first epoch.

    Atomic writes need a local output folder; for other storage (``out_dir`` with a
    URI prefix, ``backend_args``, ``file_client_args``) the hook writes as MMEngine
    does, and still orders the removals and ``last_checkpoint`` as above.

    ``configs/_base_/default_runtime.py`` uses it as ``default_hooks.checkpoint``.

    Args:
        check_disk_space: refuse to start when the next checkpoint would not fit.
        **kwargs: ``CheckpointHook``'s (``interval``, ``max_keep_ckpts``,
            ``save_best`` ...).
    """

    def __init__(self, check_disk_space: bool = True, **kwargs) -> None:
        compat.check_checkpoint_hook_internals(CheckpointHook)
        super().__init__(**kwargs)
        self.check_disk_space = check_disk_space

    def before_train(self, runner) -> None:
        out_dir = self.out_dir if self.out_dir is not None else runner.work_dir
        if (self.backend_args is None and self.file_client_args is None
                and isinstance(get_file_backend(out_dir), LocalBackend)):
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        super().before_train(runner)
        if not isinstance(self.file_backend, AtomicLocalBackend) or \
                not is_main_process():
            return
        self._remove_temporary_files(runner)
        if self.check_disk_space:
            self._check_disk_space(runner)

    def _remove_temporary_files(self, runner) -> None:
        """Remove what an interrupted save of this hook left: atomic_write's hidden
        ``.NAME.PID.RANDOM.tmp`` files of checkpoints and ``last_checkpoint``."""
        checkpoint = re.escape(self.filename_tmpl).replace(r'\{\}', r'\d+')
        temporary = temporary_file_pattern(rf'{checkpoint}|best_.+\.pth|last_checkpoint')
        for folder in sorted({self.out_dir, runner.work_dir}):
            if not osp.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if temporary.match(name):
                    os.remove(osp.join(folder, name))
                    runner.logger.warning(
                        f'Removed {osp.join(folder, name)}, the unfinished temporary '
                        'file of a checkpoint save that was interrupted.')

    def _check_disk_space(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        needed = estimate_checkpoint_bytes(model, runner.optim_wrapper,
                                           self.save_optimizer)
        if self.save_best is not None:
            needed += estimate_checkpoint_bytes(model, None, False)
        folder = _existing_folder(self.out_dir)
        free = shutil.disk_usage(folder).free
        if free < needed:
            raise OSError(
                errno.ENOSPC, f'The disk of the checkpoint folder {self.out_dir} has '
                f'{free / _MIB:.1f} MiB free, but the next checkpoint needs about '
                f'{needed / _MIB:.1f} MiB (model and optimizer state; it is written '
                'next to the previous one before that is removed). Free some space, '
                'or set --work-dir (or default_hooks.checkpoint.out_dir) to a larger '
                'disk. Checking was done before the first epoch; switch it off with '
                'default_hooks.checkpoint.check_disk_space=False.')
        runner.logger.info(f'Checkpoints need about {needed / _MIB:.1f} MiB each; '
                           f'{free / _MIB:.1f} MiB free in {folder}.')

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # checkpoints saved by DeepSpeed
            self.file_backend.rmtree(path)

    @contextlib.contextmanager
    def _removals_deferred(self) -> Iterator[None]:
        """Postpone the file removals inside the block until it completes; if it
        raises, nothing is removed."""
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            yield
        finally:
            self.file_backend = backend
        for path in deferred.pending:
            self._remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        retired: Optional[int] = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                retired = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), str(self.last_ckpt))
        if retired is not None:
            self._remove(
                self.file_backend.join_path(self.out_dir,
                                            self.filename_tmpl.format(retired)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # MMEngine removes the previous best checkpoint before it writes the new one.
        with self._removals_deferred():
            super()._save_best_checkpoint(runner, metrics)
