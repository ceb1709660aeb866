"""Training stages: the first epochs of a run train other terms and other parameters,
with their own optimizer, before the schedule of the config (pre-training stages of
AB, FT, FSP and SSKD).

A stage is part of the run, derived from the epoch: every epoch (a resumed one too)
starts by setting the distiller up for the stage that epoch belongs to, so a run
stopped anywhere, in a stage or at a boundary, continues exactly as an uninterrupted
one. The state a stage carries from epoch to epoch (its optimizer's momentum, its
schedulers) is written into the runner's checkpoints and read back on ``--resume``.
"""
import copy
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmpretrain.registry import HOOKS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS

from kd_plugin.models.distillers.taps import resolve_module
from kd_plugin.utils.vocabulary import closest

CHECKPOINT_KEY = 'training_stage'
STAGE_KEYS = ('name', 'epochs', 'losses', 'loss_attrs', 'student_loss_weight',
              'trainable', 'eval', 'optim_wrapper', 'param_scheduler')
HOOK_TYPE = 'TrainingStageHook'


class Stage(NamedTuple):
    """One stage of :class:`TrainingStageHook` (see there for the fields)."""
    name: str
    epochs: Optional[int]
    losses: Optional[Tuple[str, ...]]
    loss_attrs: Dict[str, dict]
    student_loss_weight: Optional[float]
    trainable: Optional[Tuple[str, ...]]
    eval: Tuple[str, ...]
    optim_wrapper: Optional[dict]
    param_scheduler: List[dict]


def parse_stage(index: int, cfg: dict, last: bool) -> Stage:
    """A :class:`Stage` from its config, or a ValueError naming the stage and key."""
    unknown = [key for key in cfg if key not in STAGE_KEYS]
    if unknown:
        raise ValueError(f'{HOOK_TYPE}: stages[{index}] has no key {unknown[0]!r}'
                         f'{closest(unknown[0], STAGE_KEYS)}; its keys: '
                         f'{", ".join(STAGE_KEYS)}')
    name = str(cfg.get('name', f'stage{index}'))
    epochs = cfg.get('epochs')
    if epochs is None and not last:
        raise ValueError(f'{HOOK_TYPE}: stage {name!r} needs `epochs` (only the last '
                         'stage may run until the end of training).')
    if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f'{HOOK_TYPE}: stage {name!r}: epochs must be a positive '
                         f'int, got {epochs!r}.')
    schedulers = cfg.get('param_scheduler') or []
    schedulers = [schedulers] if isinstance(schedulers, dict) else list(schedulers)
    if schedulers and cfg.get('optim_wrapper') is None:
        raise ValueError(f'{HOOK_TYPE}: stage {name!r} sets param_scheduler but no '
                         'optim_wrapper; the runner\'s optimizer follows the '
                         "config's param_scheduler.")
    if any(not s.get('by_epoch', True) for s in schedulers):
        raise ValueError(f'{HOOK_TYPE}: stage {name!r}: stage schedulers step once per '
                         'epoch; remove by_epoch=False.')
    weight = cfg.get('student_loss_weight')

    def names(key: str) -> Optional[Tuple[str, ...]]:
        value = cfg.get(key)
        if value is None:
            return None
        return (value, ) if isinstance(value, str) else tuple(value)

    return Stage(
        name=name,
        epochs=epochs,
        losses=names('losses'),
        loss_attrs={
            k: dict(v)
            for k, v in (cfg.get('loss_attrs') or {}).items()
        },
        student_loss_weight=None if weight is None else float(weight),
        trainable=names('trainable'),
        eval=names('eval') or (),
        optim_wrapper=copy.deepcopy(cfg.get('optim_wrapper')),
        param_scheduler=copy.deepcopy(schedulers))


@HOOKS.register_module()
class TrainingStageHook(Hook):
    """Run the first epochs of training in stages with their own terms, weights,
    trainable parameters and optimizer.

    Two-stage distillation methods pre-train a part of the model before the main
    training: AB and FSP train the student's layers on the distillation loss alone,
    FT trains the paraphraser that encodes the teacher's features, SSKD trains a
    self-supervision head on the frozen teacher (RepDistiller's ``helper/pretrain.py``,
    SSKD's ``student.py``). The stages run one after the other from epoch 0; the
    epochs after the last one with ``epochs`` follow the config as written. The
    config's ``max_epochs`` and the milestones of its ``param_scheduler`` count the
    epochs of the whole run, stages included (e.g. RepDistiller's 30 init epochs
    before 240 main epochs: ``max_epochs=270``, milestones ``[180, 210, 240]``).

    Each stage (a dict) may set:

    * ``name``: shown in the log and saved in checkpoints.
    * ``epochs``: its length. The last stage may leave it out: it then lasts until
      the end of training.
    * ``losses``: the ``distill_losses`` keys computed in the stage (default: all);
      the others are neither computed nor logged.
    * ``loss_attrs``: ``{loss key: {attribute: value}}`` set on those losses during
      the stage (e.g. a phase, a weight); outside it they keep their configured
      values.
    * ``student_loss_weight``: the factor on the student's own cross-entropy.
    * ``trainable``: module paths of the distiller (``'student.backbone'``,
      ``'distill_losses.loss_ab'``) whose parameters train; every other parameter is
      frozen during the stage (default: those of the config).
    * ``eval``: module paths kept in ``eval()`` during the stage (e.g.
      ``'student'``: its BatchNorm layers use and keep their running statistics).
    * ``optim_wrapper``: a separate optimizer for the stage, built over its trainable
      parameters when the stage starts (``dict(optimizer=dict(type='SGD', ...))``;
      ``type`` defaults to ``'OptimWrapper'``). The runner's optimizer then takes no
      step during the stage: its state is still fresh when the stage ends. Default:
      the runner's optimizer.
    * ``param_scheduler``: schedulers of the stage's optimizer, stepped once per epoch
      of the stage and counting its epochs from 0.

    Resuming: the stage of an epoch is derived from the epoch, the stage's optimizer
    and scheduler states are saved in each checkpoint (key ``training_stage``) and
    loaded when a resumed run continues inside that stage, so training continues
    exactly as an uninterrupted run, across a boundary too.

    Mechanics: the terms and the student weight are switched through the distiller
    (:meth:`ClassificationDistiller.set_active_losses`, ``student_loss_weight``);
    trainable parameters by ``requires_grad``; the stage's optimizer replaces
    ``runner.optim_wrapper`` for each of its training iterations only (checkpoints
    and schedulers always see the runner's own). Under DDP, set
    ``find_unused_parameters = True`` in the config: the parameters a stage leaves out
    get no gradient. While a stage steps its own optimizer, the runner's schedulers still
    count the epochs; MMEngine then warns once that they stepped before their optimizer,
    which is harmless (they compute from the epoch count).

    Args:
        stages: The stage dicts, in training order.
    """

    priority = 'HIGHEST'  # its optimizer is in place before the lr is logged

    def __init__(self, stages: Sequence[dict]) -> None:
        if not stages:
            raise ValueError(f'{HOOK_TYPE}: give at least one stage.')
        self.stages = [
            parse_stage(i, dict(cfg), i == len(stages) - 1)
            for i, cfg in enumerate(stages)
        ]
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f'{HOOK_TYPE}: stage names must differ, got {names}.')
        self.starts = []
        start = 0
        for stage in self.stages:
            self.starts.append(start)
            start += stage.epochs or 0
        self._model: Optional[nn.Module] = None
        self._configured: dict = {}
        self._current: Optional[int] = None
        self._eval_modules: List[nn.Module] = []  # the current stage's, resolved once
        self._optim: Optional[Tuple[int, OptimWrapper, list]] = None
        self._runner_optim: Optional[OptimWrapper] = None
        self._loaded: Optional[Tuple[int, dict]] = None

    # ----------------------------------------------------------------- stages
    def stage_index(self, epoch: int) -> Optional[int]:
        """The index of the stage that the 0-based ``epoch`` belongs to (None: after
        the stages, the config as written)."""
        for index, (stage, start) in enumerate(zip(self.stages, self.starts)):
            if epoch >= start and (stage.epochs is None or epoch < start + stage.epochs):
                return index
        return None

    # ------------------------------------------------------------------- hooks
    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not callable(getattr(model, 'set_active_losses', None)):
            raise TypeError(f'{HOOK_TYPE} needs a ClassificationDistiller, got '
                            f'{type(model).__name__}.')
        if is_model_wrapper(runner.model) and not getattr(runner.model,
                                                          'find_unused_parameters', True):
            raise ValueError(
                f'{HOOK_TYPE}: under DDP the parameters a stage leaves out get no '
                'gradient; set find_unused_parameters = True in the config.')
        self._model = model
        for stage in self.stages:
            self._check_stage(model, stage)
        self._configured = dict(
            requires_grad={p: p.requires_grad
                           for p in model.parameters()},
            student_loss_weight=model.student_loss_weight,
            loss_attrs={
                (key, attr): getattr(model.distill_losses[key], attr)
                for stage in self.stages
                for key, attrs in stage.loss_attrs.items()
                for attr in attrs
            })
        self._current = -1  # forces the set-up of the first epoch's stage

    def before_train_epoch(self, runner) -> None:
        index = self.stage_index(runner.epoch)
        if index != self._current:
            self._enter(runner, index)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # MMEngine puts the model back in train mode at every epoch's start.
        for module in self._eval_modules:
            module.eval()
        if self._optim is not None:
            self._runner_optim = runner.optim_wrapper
            runner.optim_wrapper = self._optim[1]

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if self._runner_optim is not None:
            runner.optim_wrapper = self._runner_optim
            self._runner_optim = None

    def after_train_epoch(self, runner) -> None:
        if self._optim is not None:
            for scheduler in self._optim[2]:
                scheduler.step()

    def after_train(self, runner) -> None:
        if self._model is not None:
            self._apply(None)
        self._optim = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._optim is None:
            return
        index, wrapper, schedulers = self._optim
        checkpoint[CHECKPOINT_KEY] = dict(
            name=self.stages[index].name,
            optim_wrapper=wrapper.state_dict(),
            param_schedulers=[s.state_dict() for s in schedulers])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(CHECKPOINT_KEY)
        epoch = checkpoint.get('meta', {}).get('epoch')
        self._loaded = (epoch, state) if state is not None and epoch is not None else None

    # ------------------------------------------------------------------ set-up
    def _enter(self, runner, index: Optional[int]) -> None:
        self._apply(index)
        # The log would repeat the last value of a term the stage does not compute.
        active = None if index is None else self.stages[index].losses
        for key in self._model.distill_losses:
            if active is not None and key not in active:
                runner.message_hub.log_scalars.pop(f'train/{key}', None)
        self._optim = None
        if index is not None and self.stages[index].optim_wrapper is not None:
            self._optim = self._build_optimizer(runner.epoch, index)
        if index is None:
            message = 'after the stages: training as configured'
        else:
            stage = self.stages[index]
            end = (f'{self.starts[index] + stage.epochs - 1}'
                   if stage.epochs is not None else 'the end')
            optimizer = ('its own optimizer'
                         if self._optim is not None else "the runner's optimizer")
            message = (f'stage {stage.name!r} (epochs {self.starts[index]}-{end}, '
                       f'0-based), {optimizer}')
        print_log(f'{HOOK_TYPE}: epoch {runner.epoch}: {message}.', 'current')

    def _apply(self, index: Optional[int]) -> None:
        """Set the distiller up for stage ``index`` (None: as configured)."""
        model = self._model
        stage = self.stages[index] if index is not None else None
        model.set_active_losses(stage.losses if stage is not None else None)
        weight = stage.student_loss_weight if stage is not None else None
        model.student_loss_weight = (
            weight if weight is not None else self._configured['student_loss_weight'])
        for (key, attr), value in self._configured['loss_attrs'].items():
            overrides = stage.loss_attrs.get(key, {}) if stage is not None else {}
            setattr(model.distill_losses[key], attr, overrides.get(attr, value))
        trainable = self._trainable(stage)
        for param, configured in self._configured['requires_grad'].items():
            param.requires_grad_(configured and (trainable is None or param in trainable))
        self._eval_modules = [
            resolve_module(model, path, HOOK_TYPE) for path in stage.eval
        ] if stage is not None else []
        self._current = index

    def _trainable(self, stage: Optional[Stage]) -> Optional[Set[nn.Parameter]]:
        if stage is None or stage.trainable is None:
            return None
        return {
            param
            for path in stage.trainable
            for param in resolve_module(self._model, path, HOOK_TYPE).parameters()
        }

    def _build_optimizer(self, epoch: int, index: int) -> Tuple[int, OptimWrapper, list]:
        stage = self.stages[index]
        params = [p for p in self._model.parameters() if p.requires_grad]
        cfg = copy.deepcopy(stage.optim_wrapper)
        cfg.setdefault('type', 'OptimWrapper')
        optimizer = OPTIMIZERS.build(dict(cfg.pop('optimizer'), params=params))
        wrapper = OPTIM_WRAPPERS.build(dict(cfg, optimizer=optimizer))
        schedulers = [
            PARAM_SCHEDULERS.build(
                dict(s, by_epoch=True), default_args=dict(optimizer=wrapper))
            for s in stage.param_scheduler
        ]
        loaded_epoch, state = self._loaded or (None, None)
        if state is not None and loaded_epoch == epoch and state['name'] == stage.name:
            wrapper.load_state_dict(state['optim_wrapper'])
            for scheduler, saved in zip(schedulers, state['param_schedulers']):
                scheduler.load_state_dict(saved)
            print_log(
                f'{HOOK_TYPE}: resumed the optimizer of stage {stage.name!r} from the '
                'checkpoint.', 'current')
        self._loaded = None
        return index, wrapper, schedulers

    def _check_stage(self, model: nn.Module, stage: Stage) -> None:
        """Every loss, attribute and module path the stage names exists."""
        where = f'{HOOK_TYPE}: stage {stage.name!r}'
        keys = list(model.distill_losses)
        active = keys if stage.losses is None else list(stage.losses)
        for key in list(stage.losses or []) + list(stage.loss_attrs):
            if key not in keys:
                raise ValueError(f'{where}: no distill_losses key {key!r}'
                                 f'{closest(key, keys)}; the keys: {", ".join(keys)}')
        for key, attrs in stage.loss_attrs.items():
            if key not in active:
                raise ValueError(f'{where} sets attributes of {key!r}, which it does '
                                 f'not compute (losses={list(active)}).')
            loss = model.distill_losses[key]
            for attr in attrs:
                if not hasattr(loss, attr):
                    known = [a for a in vars(loss) if not a.startswith('_')]
                    raise ValueError(
                        f'{where}: {type(loss).__name__} ({key}) has no attribute '
                        f'{attr!r}{closest(attr, known)}.')
        for path in list(stage.trainable or []) + list(stage.eval):
            resolve_module(model, path, where)
        if stage.trainable is not None and not any(
                p.requires_grad for path in stage.trainable
                for p in resolve_module(model, path, where).parameters()):
            raise ValueError(f'{where}: trainable={list(stage.trainable)} holds no '
                             'trainable parameter (the teacher is always frozen).')


def shorten_stages(cfg) -> int:
    """Give every stage of a config's :class:`TrainingStageHook` one epoch (smoke runs
    cross each boundary); return the number of epochs the stages now take."""
    epochs = 0
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') != HOOK_TYPE:
            continue
        for stage in hook['stages']:
            if stage.get('epochs') is not None:
                stage['epochs'] = 1
                epochs += 1
    return epochs
