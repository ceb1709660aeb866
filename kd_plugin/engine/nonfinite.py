"""Stop (or skip the step) when a loss term becomes NaN/inf, before the optimizer step.

Design. MMEngine 0.10.7's ``BaseModel.train_step`` runs the forward, sums the terms
(``parse_losses``) and calls ``optim_wrapper.update_params(loss)`` (backward + step); a
hook's ``after_train_iter`` only runs after the step, so the weights (and any checkpoint
written later) would already be corrupted. The loss terms are the output of the model's
``forward(mode='loss')``, so :class:`NonFiniteLossHook` registers a forward hook on the
model (its ``module`` under DDP) and checks that dict right there: after the forward,
before the backward and the step. That needs no change to the model, the optimizer
wrapper or the runner, works with any optimizer wrapper (AMP included), and names the
culprit terms. Cost: one host synchronisation per step (one ``.item()`` of the
stacked ``isfinite`` flags of all terms).

* ``action='stop'``: raise ``FloatingPointError`` naming the non-finite terms
  (``loss_kd=nan`` ...), the iteration and the epoch. The exception leaves the runner
  before any step or ``after_train_iter``/``after_train_epoch`` hook, so no checkpoint
  is written: the last checkpoint on disk is the previous good one.
* ``action='skip'``: skipping the step needs control of ``update_params``, which a
  forward hook does not have; it needs ``optim_wrapper=dict(type=
  'NonFiniteGuardOptimWrapper', ...)``. The hook marks the step, the wrapper then
  zeroes the gradients and neither runs the backward nor the step, and warns with the
  culprits. Momentum buffers, learning rate and counters are left as they were.
  Skipping is for rare bad batches, not for a run that no longer learns: training
  stops (``FloatingPointError`` naming the terms) at ``max_consecutive_skips`` skipped
  steps in a row, at ``max_skipped_steps`` in all, and at the end of an epoch whose
  every step was skipped (e.g. a teacher with non-finite weights), before that
  epoch's checkpoint is written.

:class:`NonFiniteGuardOptimWrapper` also works without the hook: it then checks the
total loss it receives (the same one synchronisation) and can only say "the total loss".
"""
import logging
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmpretrain.registry import HOOKS, OPTIM_WRAPPERS

ACTIONS = ('stop', 'skip')


def _check_action(action: str, owner: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f'{owner}: action must be one of {ACTIONS}, got {action!r}.')
    return action


def _check_bound(value: int, name: str) -> int:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f'{name} must be a positive int, got {value!r}.')
    return value


def loss_terms(losses: dict) -> Dict[str, torch.Tensor]:
    """The terms ``parse_losses`` sums (keys containing ``loss``), one tensor each."""
    terms = {}
    for name, value in losses.items():
        if 'loss' not in name:
            continue
        if isinstance(value, torch.Tensor):
            terms[name] = value.detach()
        elif isinstance(value, (list, tuple)) and value:
            terms[name] = torch.stack([v.detach().float().mean() for v in value])
    return terms


def describe_nonfinite(terms: Dict[str, torch.Tensor]) -> str:
    """``loss_kd=nan, loss_crd=inf`` for the non-finite terms (the failure path only)."""
    bad = []
    for name, value in terms.items():
        if not bool(torch.isfinite(value).all()):
            shown = value.float().mean().item() if value.numel() else float('nan')
            bad.append(f'{name}={shown}')
    return ', '.join(
        bad) or 'the total loss (the terms are finite; they cancel as inf-inf)'


@OPTIM_WRAPPERS.register_module()
class NonFiniteGuardOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose ``update_params`` refuses a non-finite loss.

    ``update_params(loss)`` checks ``torch.isfinite(loss)`` first (one host
    synchronisation per step) unless :class:`NonFiniteLossHook` already checked this
    step's terms. A non-finite loss either raises ``FloatingPointError``
    (``action='stop'``) or skips the step (``'skip'``): gradients are zeroed, no
    backward, no step; under gradient accumulation the gradients accumulated so far in
    the window are dropped too. ``skipped_steps`` counts the skips.

    Args:
        action: ``'stop'`` or ``'skip'``; :class:`NonFiniteLossHook` sets it to its own.
        max_consecutive_skips: with ``'skip'``, raise ``FloatingPointError`` instead of
            skipping when this many steps in a row would be skipped.
        max_skipped_steps: with ``'skip'``, raise when this many steps of the run
            would be skipped. :class:`NonFiniteLossHook` sets both to its own.
        **kwargs: ``OptimWrapper``'s (``optimizer``, ``accumulative_counts``,
            ``clip_grad``).
    """

    def __init__(self,
                 action: str = 'stop',
                 max_consecutive_skips: int = 10,
                 max_skipped_steps: int = 100,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.action = _check_action(action, 'NonFiniteGuardOptimWrapper')
        self.max_consecutive_skips = _check_bound(max_consecutive_skips,
                                                  'max_consecutive_skips')
        self.max_skipped_steps = _check_bound(max_skipped_steps, 'max_skipped_steps')
        self.skipped_steps = 0
        self.consecutive_skips = 0
        self.last_culprits: Optional[str] = None
        # Set by NonFiniteLossHook each step: None (not checked), or the verdict.
        self._verdict: Optional[str] = None
        self._checked_by_hook = False
        self._where = ''

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        if self._checked_by_hook:
            culprits, self._verdict = self._verdict, None
        elif bool(torch.isfinite(loss).all()):
            culprits = None
        else:
            culprits = f'the total loss {loss.detach().float().mean().item()}'
        if culprits is None:
            self.consecutive_skips = 0
            return super().update_params(loss, step_kwargs, zero_kwargs)
        message = f'Non-finite loss{self._where}: {culprits}.'
        stopped = (' Training stopped before the optimizer step; the last checkpoint '
                   'is the previous good one.')
        if self.action == 'stop':
            raise FloatingPointError(message + stopped)
        if self.consecutive_skips + 1 >= self.max_consecutive_skips:
            raise FloatingPointError(
                f'{message} That is {self.consecutive_skips + 1} non-finite steps in a '
                f'row (max_consecutive_skips={self.max_consecutive_skips}).' + stopped)
        if self.skipped_steps + 1 >= self.max_skipped_steps:
            raise FloatingPointError(
                f'{message} That is {self.skipped_steps + 1} non-finite steps in this '
                f'run (max_skipped_steps={self.max_skipped_steps}).' + stopped)
        self._inner_count += 1  # the iteration happened, only its update is dropped
        self.zero_grad(**(zero_kwargs or {}))
        self.skipped_steps += 1
        self.consecutive_skips += 1
        self.last_culprits = culprits
        print_log(
            f'{message} Skipped this optimizer step ({self.skipped_steps} '
            'skipped so far).',
            logger='current',
            level=logging.WARNING)


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Check every loss term after the forward, before the backward and the step.

    Add ``custom_hooks = [dict(type='NonFiniteLossHook', action='stop')]``. See the
    module docstring for the design; ``'skip'`` also needs
    ``optim_wrapper=dict(type='NonFiniteGuardOptimWrapper', optimizer=...)``.

    Args:
        action: ``'stop'`` (raise ``FloatingPointError`` naming the terms and the
            iteration; nothing is stepped or saved) or ``'skip'`` (skip the step).
        max_consecutive_skips: ``'skip'`` stops at this many skipped steps in a row.
        max_skipped_steps: ``'skip'`` stops at this many skipped steps in the run.
            Either way, and at the end of an epoch in which every step was skipped,
            training stops with a ``FloatingPointError`` naming the terms.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 action: str = 'stop',
                 max_consecutive_skips: int = 10,
                 max_skipped_steps: int = 100) -> None:
        self.action = _check_action(action, 'NonFiniteLossHook')
        self.max_consecutive_skips = _check_bound(max_consecutive_skips,
                                                  'max_consecutive_skips')
        self.max_skipped_steps = _check_bound(max_skipped_steps, 'max_skipped_steps')
        self._handle = None
        self._runner = None
        self._epoch_start = (0, 0)  # (iteration, skipped steps) when the epoch began

    def before_train(self, runner) -> None:
        guard = runner.optim_wrapper
        if self.action == 'skip' and not isinstance(guard, NonFiniteGuardOptimWrapper):
            raise ValueError(
                "NonFiniteLossHook(action='skip') skips the optimizer step through the "
                'optimizer wrapper: set optim_wrapper=dict('
                "type='NonFiniteGuardOptimWrapper'"
                f', optimizer=...) (got {type(guard).__name__}), or use action=\'stop\'.')
        if isinstance(guard, NonFiniteGuardOptimWrapper):
            guard.action = self.action
            guard.max_consecutive_skips = self.max_consecutive_skips
            guard.max_skipped_steps = self.max_skipped_steps
        self._runner = runner
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self._handle is not None:
            self._handle.remove()
        self._handle = model.register_forward_hook(self._check, with_kwargs=True)

    def before_train_epoch(self, runner) -> None:
        guard = runner.optim_wrapper
        skipped = getattr(guard, 'skipped_steps', 0)
        self._epoch_start = (runner.iter, skipped)

    def after_train_epoch(self, runner) -> None:
        """Stop after an epoch that skipped every step, before its checkpoint (this
        hook runs before the ``CheckpointHook``)."""
        guard = runner.optim_wrapper
        if not isinstance(guard, NonFiniteGuardOptimWrapper):
            return
        iterations = runner.iter - self._epoch_start[0]
        skipped = guard.skipped_steps - self._epoch_start[1]
        if iterations > 0 and skipped >= iterations:
            raise FloatingPointError(
                f'Every optimizer step of epoch {runner.epoch + 1} ({skipped}) was '
                'skipped for a non-finite loss; the last one: '
                f'{guard.last_culprits}. The run is not learning '
                '(a non-finite teacher? a diverged student?). Training stopped; no '
                'checkpoint was written for this epoch.')

    def after_train(self, runner) -> None:
        if isinstance(runner.optim_wrapper, NonFiniteGuardOptimWrapper):
            runner.optim_wrapper._checked_by_hook = False
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _where(self) -> str:
        runner = self._runner
        return (f' at iteration {runner.iter + 1} (epoch {runner.epoch + 1}; '
                '1-based, as in the log)')

    def _check(self, module, args, kwargs, output):
        if kwargs.get('mode') != 'loss' or not isinstance(output, dict) or \
                not module.training:
            return None
        terms = loss_terms(output)
        if not terms:
            return None
        finite = bool(
            torch.stack([torch.isfinite(t).all() for t in terms.values()]).all())
        culprits = None if finite else describe_nonfinite(terms)
        guard = self._runner.optim_wrapper
        if isinstance(guard, NonFiniteGuardOptimWrapper):
            guard._checked_by_hook = True
            guard._verdict = culprits
            guard._where = self._where()
            if culprits is None or self.action == 'skip':
                return None
        if culprits is not None:
            raise FloatingPointError(
                f'Non-finite loss{self._where()}: {culprits}. Training stopped before '
                'the backward and the optimizer step; the last checkpoint is the '
                'previous good one.')
        return None
