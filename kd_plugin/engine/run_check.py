"""Checks at the start of a run: something to train on, a complete checkpoint to resume
from, and a resumed state that agrees with the config.

MMEngine 0.10.7 leaves these to chance:

* an empty training set fails inside the sampler (``ZeroDivisionError``);
* ``--resume`` loads whatever ``last_checkpoint`` names: a truncated file (a power loss)
  fails with a zip error, although the previous epoch's complete file is next to it;
* a resumed run restores the learning-rate schedule *as it was configured* when the
  checkpoint was written (``milestones``, ``end``, ``base_values`` are part of a
  scheduler's state) and the optimizer's hyper-parameters with it: resuming with a
  longer ``max_epochs`` and later milestones silently keeps the old schedule;
* a checkpoint written in the middle of an epoch resumes at the start of that epoch.

:class:`RunCheckHook` (``default_hooks.run_check`` of the default runtime) handles them:
an empty training set is refused before the first epoch, naming the dataset;
``--resume`` falls back to the newest complete checkpoint, naming the broken one; and
when the config and the restored state disagree (``max_epochs``, the schedule, the
learning rate, the batch size, the number of processes) the resumed run says so and
continues with the config's schedule: the scheduler states and the optimizer's
hyper-parameters are those a straight run of the config has at the resumed epoch and
iteration (the config's schedulers are replayed up to there). A mid-epoch resume warns
that the epoch is replayed from its start.
"""
import copy
import logging
import math
import os
import os.path as osp
import re
import warnings
from typing import Any, Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper, _ParamScheduler
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS

from kd_plugin.utils import compat
from kd_plugin.utils.checkpoint import checkpoint_problem

RUN_SETTINGS = 'run_settings'
CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
# A scheduler's state entries that change as it steps (the rest is its configuration).
_SCHEDULER_PROGRESS = ('last_step', '_global_step', '_last_value', 'verbose')


def _warn(message: str) -> None:
    print_log(message, logger='current', level=logging.WARNING)


def _same(a: Any, b: Any) -> bool:
    """Equal, with floats compared to 1e-12 relative (a replayed schedule)."""
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)
        except TypeError:
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _shown(value: Any) -> str:
    if isinstance(value, dict) and not value:
        return '{}'
    if type(value).__name__ == 'Counter':  # MultiStepLR milestones
        return str(sorted(value.elements()))
    return repr(value)


def checkpoint_files(folder: str, exclude: Sequence[str] = ()) -> List[str]:
    """The ``epoch_N.pth`` / ``iter_N.pth`` files of ``folder`` (complete or not),
    newest first (by modification time, then by N)."""
    if not osp.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = CHECKPOINT_NAME.match(name)
        path = osp.join(folder, name)
        if match and osp.abspath(path) not in {osp.abspath(p) for p in exclude}:
            found.append((os.stat(path).st_mtime_ns, int(match.group(2)), path))
    return [path for _, _, path in sorted(found, reverse=True)]


def run_settings(runner) -> Dict[str, Any]:
    """What a checkpoint records about the run that wrote it (plain data)."""
    loop, loader = runner.train_loop, runner.train_dataloader
    batch_size = loader.batch_size
    if batch_size is None:
        batch_size = getattr(loader.batch_sampler, 'batch_size', None)
    return dict(
        max_epochs=getattr(loop, 'max_epochs', None),
        max_iters=loop.max_iters,
        iters_per_epoch=len(loader),
        batch_size=batch_size,
        world_size=runner.world_size,
        num_workers=loader.num_workers,
        persistent_workers=bool(loader.persistent_workers))


class _HyperParameters:
    """Stands in for an optimizer while its schedule is replayed: schedulers read and
    write only ``param_groups``, and call nothing but ``step``."""

    def __init__(self, param_groups: List[dict]) -> None:
        self.param_groups = param_groups

    def step(self) -> None:
        pass


def replay_schedule(optim_wrapper, schedulers: Sequence, epochs: int, iters: int,
                    iters_per_epoch: int):
    """The states of ``schedulers`` and the optimizer's hyper-parameter groups after
    ``iters`` iterations and ``epochs`` epochs of a straight run, computed as the
    ``ParamSchedulerHook`` steps them (iteration-based schedulers after every iteration,
    epoch-based ones after every ``iters_per_epoch`` iterations), on copies: the
    optimizer and the schedulers of the run are not touched.

    ``schedulers`` must be freshly built (step 0) on ``optim_wrapper``.
    Returns ``(scheduler_states, param_groups)``, without the parameters.
    """
    groups = [{
        k: copy.deepcopy(v)
        for k, v in group.items() if k != 'params'
    } for group in optim_wrapper.param_groups]
    probe = _HyperParameters(groups)
    memo = {id(optim_wrapper): probe}
    if hasattr(optim_wrapper, 'optimizer'):
        memo[id(optim_wrapper.optimizer)] = probe
    replicas = [copy.deepcopy(scheduler, memo=dict(memo)) for scheduler in schedulers]
    by_iter = [s for s in replicas if not s.by_epoch]
    by_epoch = [s for s in replicas if s.by_epoch]
    with warnings.catch_warnings():  # "scheduler.step() before optimizer.step()"
        warnings.simplefilter('ignore')
        epochs_done = 0
        for done in range(1, iters + 1):
            for scheduler in by_iter:
                scheduler.step()
            if iters_per_epoch and done % iters_per_epoch == 0 and epochs_done < epochs:
                for scheduler in by_epoch:
                    scheduler.step()
                epochs_done += 1
        for _ in range(epochs - epochs_done):
            for scheduler in by_epoch:
                scheduler.step()
    return [s.state_dict() for s in replicas], groups


@HOOKS.register_module()
class RunCheckHook(Hook):
    """Refuse an empty training set; resume from a complete checkpoint; say what a
    resumed run changes and continue with the config's schedule.

    * ``before_run`` (before MMEngine loads anything): with ``--resume`` (``resume=True``
      and no file), the file named by the work dir's ``last_checkpoint`` is checked
      (:func:`~kd_plugin.utils.checkpoint.checkpoint_problem`: a complete zip archive
      whose members pass their CRC checks; nothing is unpickled). A missing, truncated
      or damaged file is named in a warning and the run resumes from the newest
      complete ``epoch_N.pth``/``iter_N.pth`` of the folder; without one it stops,
      naming the file. ``--resume PATH`` with a broken ``PATH`` stops, naming it and
      the newest complete alternative. ``tools/train.py``, ``mim train`` and
      ``Runner.from_cfg(cfg).train()`` all pass through here.
    * ``after_load_checkpoint`` of a resume: compares the checkpoint's run (recorded in
      ``meta['run_settings']`` by ``before_save_checkpoint``) and its scheduler and
      optimizer states with the config. What differs is listed in one warning, and the
      config's schedule applies: its schedulers, replayed to the resumed epoch and
      iteration (:func:`replay_schedule`), replace the restored ones, and the optimizer
      hyper-parameters (``lr``, ``initial_lr``, ``momentum``, ``weight_decay`` ...) are
      the config's at that point, exactly those of a straight run with the config
      (momentum buffers and other optimizer state are restored as saved). Schedulers
      that step on validation metrics (``ReduceOnPlateau``) cannot be replayed: they are
      restored as saved, with a warning. A checkpoint written in the middle of an epoch
      warns that the epoch-based loop trains that epoch again from its start.
    * ``before_train``: an empty training set, or one too small for a single batch,
      raises a ``ValueError`` naming the dataset.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._resuming = False
        self._resume_from: Optional[str] = None

    # ----------------------------------------------------------- the training set
    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if len(loader.dataset) > 0 and len(loader) > 0:
            return
        config = runner.cfg.get('train_dataloader', {}).get('dataset', {})
        described = ', '.join(f'{key}={value!r}' for key, value in config.items()
                              if key != 'pipeline') or type(loader.dataset).__name__
        if len(loader.dataset) == 0:
            raise ValueError(
                f'The training set is empty: {type(loader.dataset).__name__} '
                f'(train_dataloader.dataset: {described}) has 0 samples. Check its '
                'data_root / ann_file / data_prefix and that the files are there.')
        raise ValueError(
            f'The training set gives no batch: {type(loader.dataset).__name__} '
            f'(train_dataloader.dataset: {described}) has {len(loader.dataset)} '
            f'samples, fewer than one batch per process (batch_size '
            f'{loader.batch_size}, drop_last, {runner.world_size} processes).')

    # ------------------------------------------------------------ choosing the file
    def before_run(self, runner) -> None:
        resume, load_from = compat.resume_request(runner)
        self._resuming = resume
        if not resume:
            return
        if load_from is not None:
            self._check_requested(load_from)
            self._resume_from = load_from
            return
        chosen = self._latest_complete(runner.work_dir)
        if chosen is not None:
            compat.set_resume_checkpoint(runner, chosen)
            self._resume_from = chosen

    @staticmethod
    def _check_requested(path: str) -> None:
        if '://' in path:
            return
        problem = checkpoint_problem(path)
        if problem is None:
            return
        alternative = next(
            (p for p in checkpoint_files(osp.dirname(osp.abspath(path)), [path])
             if checkpoint_problem(p) is None), None)
        hint = (f' The newest complete checkpoint next to it is {alternative}.'
                if alternative else '')
        raise ValueError(f'Cannot resume from {path}: {problem}.{hint}')

    @staticmethod
    def _latest_complete(work_dir: str) -> Optional[str]:
        record = osp.join(work_dir, 'last_checkpoint')
        named = None
        if osp.isfile(record):
            with open(record) as file:
                named = file.read().strip() or None
        if named is not None and '://' in named:
            return None  # remote storage: MMEngine loads it
        broken = []
        if named is not None:
            problem = checkpoint_problem(named)
            if problem is None:
                print_log(f'Resuming from {named} (named by {record}).', logger='current')
                return named
            broken.append(f'{named} ({problem})')
        folder = osp.dirname(osp.abspath(named)) if named else work_dir
        for candidate in checkpoint_files(folder, [named] if named else []):
            problem = checkpoint_problem(candidate)
            if problem is not None:
                broken.append(f'{candidate} ({problem})')
                continue
            reason = (f'{record} names {broken[0]}'
                      if named is not None else f'there is no {record}')
            others = broken[1:] if named is not None else broken
            skipped = f'; skipped: {", ".join(others)}' if others else ''
            _warn(f'--resume: {reason}. Resuming from {candidate}, the newest complete '
                  f'checkpoint in {folder}{skipped}.')
            return candidate
        if named is not None:
            raise RuntimeError(
                f'--resume: {record} names {broken[0]}, and {folder} holds no other '
                'complete checkpoint'
                f'{" (broken: " + ", ".join(broken[1:]) + ")" if broken[1:] else ""}. '
                f'Run without --resume to start afresh (or remove {record}).')
        return None  # nothing to resume from: MMEngine starts afresh, as it says

    # ------------------------------------------------------- comparing the state
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[RUN_SETTINGS] = run_settings(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self._resuming or not isinstance(checkpoint.get('meta'), dict):
            return
        self._resuming = False  # once: a later load_checkpoint is not the resume
        meta = checkpoint['meta']
        epoch, iteration = int(meta.get('epoch', 0)), int(meta.get('iter', 0))
        saved = meta.get(RUN_SETTINGS) or {}
        current = run_settings(runner)
        per_epoch = saved.get('iters_per_epoch') or current['iters_per_epoch']
        differences = self._run_differences(runner, saved, current)
        differences += self._apply_config_schedule(runner, checkpoint, epoch, iteration,
                                                   per_epoch)
        where = self._resume_from or 'the checkpoint'
        if differences:
            _warn(
                f'Resuming from {where} (epoch {epoch}, iteration {iteration}) with a '
                'config that differs from the state saved there; the config applies:\n' +
                '\n'.join(f'  - {line}' for line in differences))
        max_epochs = current['max_epochs']
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            if max_epochs is not None and epoch >= max_epochs:
                _warn(f'Resuming from {where} at epoch {epoch}, but max_epochs is '
                      f'{max_epochs}: there is nothing left to train.')
            done = iteration - epoch * per_epoch
            if 0 < done < per_epoch:
                _warn(
                    f'{where} was written at iteration {iteration}, in the middle of '
                    f'epoch {epoch + 1} ({done} of {per_epoch} iterations done). The '
                    f'epoch-based loop resumes at the start of epoch {epoch + 1}: those '
                    f'{done} iterations are trained again, and the iteration counter '
                    'and iteration-based schedules continue from '
                    f'{iteration}. For an exact resume, save checkpoints at the end of '
                    'epochs (default_hooks.checkpoint.by_epoch=True).')

    @staticmethod
    def _run_differences(runner, saved: dict, current: dict) -> List[str]:
        lines = []
        for key in ('max_epochs', ) if current['max_epochs'] else ('max_iters', ):
            if key in saved and saved[key] != current[key]:
                lines.append(f'{key}: {saved[key]} in the checkpoint\'s run, '
                             f'{current[key]} in the config')
        if 'batch_size' in saved and (saved['batch_size'],
                                      saved['world_size']) != (current['batch_size'],
                                                               current['world_size']):
            scaled = (runner.auto_scale_lr or {}).get('enable', False)
            lines.append(
                'batch size: {} per process x {} processes in the checkpoint\'s run, '
                '{} x {} now. The learning rate is the config\'s{}; the iteration '
                'counter continues from the checkpoint.'.format(
                    saved['batch_size'], saved['world_size'], current['batch_size'],
                    current['world_size'], ', scaled by auto_scale_lr' if scaled else
                    ' as written (--auto-scale-lr scales it with the total batch size)'))
        elif saved.get('iters_per_epoch') not in (None, current['iters_per_epoch']):
            lines.append(f'iterations per epoch: {saved["iters_per_epoch"]} in the '
                         f'checkpoint\'s run, {current["iters_per_epoch"]} now (the '
                         'training set changed)')
        return lines

    @staticmethod
    def _apply_config_schedule(runner, checkpoint: dict, epoch: int, iteration: int,
                               per_epoch: int) -> List[str]:
        wrapper, schedulers = runner.optim_wrapper, runner.param_schedulers
        saved_optim = checkpoint.get('optimizer')
        saved_schedulers = checkpoint.get('param_schedulers')
        if not isinstance(wrapper, OptimWrapper) or not isinstance(saved_optim, dict):
            return []
        if isinstance(schedulers, dict):
            parts = [(name, wrapper[name], schedulers[name], saved_optim.get(name),
                      (saved_schedulers or {}).get(name)) for name in schedulers]
        else:
            parts = [('', wrapper, schedulers or [], saved_optim, saved_schedulers)]
        lines = []
        for name, part_wrapper, part_schedulers, optim_state, scheduler_states in parts:
            if optim_state is None or not all(
                    isinstance(s, _ParamScheduler) for s in part_schedulers):
                continue
            prefix = f'{name}: ' if name else ''
            if any(getattr(s, 'need_val_args', False) for s in part_schedulers):
                lines.append(f'{prefix}the schedule steps on validation metrics and '
                             'cannot be replayed: it continues as saved')
                continue
            if _configured_alike(part_wrapper, part_schedulers, scheduler_states,
                                 optim_state['param_groups']):
                continue
            states, groups = replay_schedule(part_wrapper, part_schedulers, epoch,
                                             iteration, per_epoch)
            found = _schedule_differences(part_schedulers, scheduler_states or [], states,
                                          optim_state['param_groups'], groups)
            if not found:
                continue
            lines += [prefix + line for line in found]
            for saved_group, group in zip(optim_state['param_groups'], groups):
                saved_group.update(group)
            if isinstance(schedulers, dict):
                checkpoint.setdefault('param_schedulers', {})[name] = states
            else:
                checkpoint['param_schedulers'] = states
        return lines


def _configured_alike(optim_wrapper, schedulers: Sequence,
                      saved_states: Optional[Sequence[dict]],
                      saved_groups: Sequence[dict]) -> bool:
    """Whether the checkpoint's schedulers and optimizer were configured as the
    config's (their progress aside): then the restored state is the config's and
    nothing needs replaying."""
    if saved_states is None or len(saved_states) != len(schedulers):
        return False
    for scheduler, saved in zip(schedulers, saved_states):
        state = scheduler.state_dict()
        if any(not _same(saved.get(key), state.get(key))
               for key in set(saved) | set(state) if key not in _SCHEDULER_PROGRESS):
            return False
    scheduled = {scheduler.param_name for scheduler in schedulers}
    return len(saved_groups) == len(optim_wrapper.param_groups) and all(
        _same(saved.get(key), value)
        for group, saved in zip(optim_wrapper.param_groups, saved_groups)
        for key, value in group.items() if key != 'params' and key not in scheduled)


def _schedule_differences(schedulers: Sequence, saved_states: Sequence[dict],
                          replayed: Sequence[dict], saved_groups: Sequence[dict],
                          replayed_groups: Sequence[dict]) -> List[str]:
    """What the checkpoint's schedule and hyper-parameters have that the config's
    (replayed to the same point) does not."""
    lines = []
    if len(saved_states) != len(replayed):
        lines.append(
            f'param_scheduler: {len(saved_states)} schedulers in the checkpoint, '
            f'{len(replayed)} in the config '
            f'({[type(s).__name__ for s in schedulers]})')
    for index, (scheduler, saved,
                state) in enumerate(zip(schedulers, saved_states, replayed)):
        for key in sorted(set(saved) | set(state)):
            if key in _SCHEDULER_PROGRESS or _same(saved.get(key), state.get(key)):
                continue
            lines.append(f'param_scheduler[{index}] ({type(scheduler).__name__}) {key}: '
                         f'{_shown(saved.get(key))} in the checkpoint, '
                         f'{_shown(state.get(key))} in the config')
    for index, (saved, group) in enumerate(zip(saved_groups, replayed_groups)):
        for key, value in group.items():
            if not _same(saved.get(key), value):
                lines.append(f'optimizer param group {index} {key}: '
                             f'{_shown(saved.get(key))} restored, {_shown(value)} in the '
                             "config's schedule at this point")
    return lines
