import contextlib
import inspect
import logging
from collections import OrderedDict
from typing import ContextManager, Dict, List, Optional, Sequence, Set, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.utils import compat
from kd_plugin.utils.checkpoint import load_model_weights
from .taps import ModelTaps, resolve_module
from .teacher_input import TeacherInputAdapter, preprocessor_normalisation
from kd_plugin.utils.vocabulary import (BATCH_INPUTS, VIEW_OUTPUTS, check_requested,
                         forward_argument_names, input_owner, split_model_output)

TapSpec = Union[str, Sequence[str]]
TEACHER_PREFIX = 'teacher.'
PRECISIONS = {'auto': None, 'fp32': torch.float32, 'bf16': torch.bfloat16,
              'fp16': torch.float16}
PROBE_BATCH = 2


def precision_context(precision: str, device_type: str) -> ContextManager:
    """The autocast context of a precision name: ``'auto'`` inherits the caller's
    (e.g. MMEngine's ``AmpOptimWrapper``), ``'fp32'`` turns autocast off, ``'bf16'`` /
    ``'fp16'`` autocast to that type."""
    if precision == 'auto':
        return contextlib.nullcontext()
    if precision == 'fp32':
        return torch.autocast(device_type, enabled=False)
    return torch.autocast(device_type, dtype=PRECISIONS[precision])


def check_precision(value: str, name: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f'{name}={value!r}: expected one of {list(allowed)}.')
    return value


def build_classifier(cfg: Union[dict, str, nn.Module], role: str) -> nn.Module:
    """Build a classifier from a model dict, a config file path, or ``pkg::`` path."""
    if isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, str):
        if '::' in cfg:
            from mmengine.hub import get_config
            model_cfg = get_config(cfg).model
        else:
            model_cfg = Config.fromfile(cfg).model
        return MODELS.build(model_cfg)
    if isinstance(cfg, dict):
        return MODELS.build(cfg)
    raise TypeError(f'{role} must be a model dict, a config path or None, '
                    f'got {type(cfg).__name__}')


def logits_module_path(model: nn.Module) -> str:
    """Where a classifier's logits come out: its head, or a wrapped whole model (timm)."""
    for path in ('head', 'model'):
        if isinstance(getattr(model, path, None), nn.Module):
            return path
    raise ValueError(
        f'{type(model).__name__} has neither a `head` nor a wrapped `model`; declare '
        "where its logits come from, e.g. student_taps=dict(logits='my_head').")


def classifier_layer_path(model: nn.Module) -> str:
    """Path of the last nn.Linear of the logits module (LinearClsHead's ``head.fc``,
    a ViT head's ``head.layers.head``, a timm model's classifier)."""
    root = logits_module_path(model)
    linears = [name for name, module in getattr(model, root).named_modules()
               if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError(
            f'No nn.Linear classifier found under {type(model).__name__}.{root}; '
            "declare the penultimate vector's tap, e.g. pooled='head.fc:input'.")
    return f'{root}.{linears[-1]}' if linears[-1] else root


def default_tap(model: nn.Module, name: str, role: str) -> TapSpec:
    """The tap of a vocabulary output when the config does not declare one."""
    if name == 'logits':
        return logits_module_path(model)
    if name == 'pooled':
        return classifier_layer_path(model) + ':input'
    if name == 'classifier':
        return classifier_layer_path(model) + ':module'
    if name == 'feature_map' and isinstance(getattr(model, 'neck', None), nn.Module):
        return 'neck:input'
    declared = getattr(getattr(model, 'backbone', None), 'distill_taps', {})
    if name in declared:
        return [f'backbone.{path}' for path in declared[name]]
    candidates = [n for n, _ in model.named_modules() if n.count('.') <= 1 and n]
    raise ValueError(
        f'A loss asks for {name!r} of the {role} ({type(model).__name__}), whose '
        f'backbone declares no default tap for it. Name the modules in the config, '
        f"e.g. {role}_taps=dict({name}=['backbone.layer1', 'backbone.layer2']); "
        f'top-level modules: {", ".join(candidates)}')


@MODELS.register_module()
class ClassificationDistiller(BaseClassifier):
    """Train a student classifier with distillation losses from a frozen teacher.

    Every MMPretrain classifier works as either model (``ImageClassifier``,
    ``TimmClassifier`` ...). The distiller reads, once at build time, which inputs its
    losses name in ``forward`` (the vocabulary of ``docs/loss_api.md``) and computes
    exactly those in each step: one student forward with gradients, one teacher forward
    under ``no_grad``. It never branches on a method.

    Args:
        student: Config (or module) of the classifier to train.
        teacher: Model dict, config file path (local or ``mmpretrain::...``), module, or
            ``None`` for self-distillation (losses may then use no ``*_t`` input).
        teacher_ckpt: Checkpoint of the teacher: a runner checkpoint, a state dict, or a
            distiller checkpoint (``student.``/``teacher.``/``module.`` prefixes handled).
        distill_losses: ``{'loss_<name>': loss_cfg}``; each term is logged under its name.
        student_loss_weight: Factor on the student head's own losses (e.g. 0.1 for KD on
            CIFAR-100). Its cross-entropy is logged as ``loss_cls``.
        student_taps / teacher_taps: ``{output_name: module path or [paths]}`` that
            override the default taps or add new outputs (see :mod:`.taps`).
        teacher_in_checkpoint: Write the teacher's weights into training checkpoints.
            Off by default: the teacher comes from ``teacher_ckpt`` on every run.
        teacher_norm_train: Keep the teacher's BatchNorm layers in train mode while the
            student trains (batch statistics, running averages updated; parameters stay
            frozen), as OFD's original code does. Everything else of the teacher stays
            in eval(). Since the teacher's statistics then change, they are written into
            checkpoints (so a resume continues from them).
        data_preprocessor: Shared by both models (normalisation and batch augments run
            once). Defaults to the student's, including its ``train_cfg.augments``.
        aux_batch: Optional module config that builds an auxiliary batch in each step
            (its ``forward`` names vocabulary inputs, like a loss, and returns images);
            both models run on it and losses read ``logits_s_aux`` / ``logits_t_aux``.
        student_ckpt: Optional checkpoint to start the student from: a plain MMPretrain
            checkpoint of the student's own config (runner checkpoint or state dict;
            ``module.``/``student.`` prefixes handled), loaded strictly when training
            starts. ``--resume`` and ``load_from`` are applied after it and win.
        teacher_input: When the teacher was trained at another resolution or with
            another normalisation than the student: ``dict(mean=[...], std=[...],
            size=224, interpolation='bicubic', antialias=True)`` (each optional; mean
            and std in pixel values as in a data preprocessor). The teacher then sees
            the student's batch un-normalised, resized and re-normalised
            (:class:`TeacherInputAdapter`). None: the teacher sees the student's batch.
        shape_probe: Input shape ``(C, H, W)`` for a build-time probe: both models run
            once on a zero batch of 2 (eval mode, no_grad, RNG state restored), and
            every loss with a ``check_shapes`` method checks the tapped outputs it will
            receive, so a mismatch between feature maps and connectors is reported
            when the model is built, not at the first step. None: no probe.
        teacher_precision: ``'auto'`` (run as the step does, e.g. fp16 under
            MMEngine's ``AmpOptimWrapper``), ``'fp32'``, ``'bf16'`` or ``'fp16'``
            (autocast of the teacher's forward; it needs no gradient scaling).
        student_precision: ``'auto'``, ``'fp32'`` or ``'bf16'``: autocast of the
            student's forward and the losses (which compute in float32 internally).
            For fp16 training use ``optim_wrapper=dict(type='AmpOptimWrapper')``,
            which scales the loss (GPU only in MMEngine).
        channels_last: Keep both models' 4-D weights and the input batches in the
            ``channels_last`` memory format (faster convolutions on recent GPUs and
            with oneDNN on CPU). Checkpoints load and save as usual.
    """

    def __init__(self,
                 student: dict,
                 teacher: Union[dict, str, nn.Module, None] = None,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 student_loss_weight: float = 1.0,
                 student_taps: Optional[Dict[str, TapSpec]] = None,
                 teacher_taps: Optional[Dict[str, TapSpec]] = None,
                 teacher_in_checkpoint: bool = False,
                 teacher_norm_train: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 aux_batch: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 student_ckpt: Optional[str] = None,
                 teacher_input: Optional[dict] = None,
                 shape_probe: Optional[Sequence[int]] = None,
                 teacher_precision: str = 'auto',
                 student_precision: str = 'auto',
                 channels_last: bool = False) -> None:
        if data_preprocessor is None and isinstance(student, dict):
            data_preprocessor = student.get('data_preprocessor')
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        if isinstance(student, dict) and student.get('train_cfg'):
            data_preprocessor.setdefault('batch_augments', student['train_cfg'])
        super().__init__(init_cfg=init_cfg,
                         data_preprocessor=MODELS.build(data_preprocessor))

        self.student = build_classifier(student, 'student')
        self.teacher = None if teacher is None else build_classifier(teacher, 'teacher')
        self.teacher_ckpt = teacher_ckpt
        self.student_ckpt = student_ckpt
        self.student_loss_weight = student_loss_weight
        self.teacher_norm_train = teacher_norm_train
        self.teacher_in_checkpoint = teacher_in_checkpoint or teacher_norm_train
        self.teacher_precision = check_precision(teacher_precision, 'teacher_precision',
                                                 list(PRECISIONS))
        self.student_precision = check_precision(student_precision, 'student_precision',
                                                 ('auto', 'fp32', 'bf16'))
        self.memory_format = (torch.channels_last if channels_last else
                              torch.contiguous_format)
        self.teacher_input = None
        if teacher_input is not None:
            if self.teacher is None:
                raise ValueError('teacher_input converts the batch for the teacher, but '
                                 'teacher=None.')
            adapter = TeacherInputAdapter(
                *preprocessor_normalisation(self.data_preprocessor), **teacher_input)
            self.teacher_input = None if adapter.is_identity else adapter
        self.distill_losses = nn.ModuleDict()
        self._loss_inputs: Dict[str, List[str]] = {}
        for name, cfg in (distill_losses or {}).items():
            self._add_loss(name, cfg)
        self.aux_batch = None if aux_batch is None else MODELS.build(aux_batch)
        self._aux_inputs = ([] if self.aux_batch is None else
                            forward_argument_names(self.aux_batch))

        requested = {arg for args in self._loss_inputs.values() for arg in args}
        requested |= set(self._aux_inputs)
        extra_outputs = set(student_taps or {}) | set(teacher_taps or {})
        for name, loss in self.distill_losses.items():
            check_requested(name, loss, self._loss_inputs[name], extra_outputs)
        if self.aux_batch is not None:
            check_requested('aux_batch', self.aux_batch, self._aux_inputs, extra_outputs)
        elif any(VIEW_OUTPUTS.get(arg, ('', ''))[1] == 'aux' for arg in requested):
            raise ValueError('A loss asks for logits_*_aux but the distiller has no '
                             '`aux_batch` module to build that batch; configure one.')
        self._batch_inputs = sorted(requested & set(BATCH_INPUTS))
        self._view_outputs = sorted(requested & set(VIEW_OUTPUTS))
        self.teacher_taps: Optional[ModelTaps] = None
        self.student_taps = self._build_taps(self.student, 'student', requested,
                                             student_taps or {})
        if self.teacher is not None:
            self._freeze_teacher()
            self.teacher_taps = self._build_taps(self.teacher, 'teacher', requested,
                                                 teacher_taps or {})
            self._check_num_classes(requested)
        elif any(input_owner(arg) == 'teacher' for arg in requested):
            users = [n for n, args in self._loss_inputs.items()
                     if any(input_owner(a) == 'teacher' for a in args)]
            raise ValueError(f'{users} need teacher outputs but teacher=None; set '
                             '`teacher` (and `teacher_ckpt`) or use a self-distillation loss.')

        if channels_last:
            for model in (self.student, self.teacher):
                if model is not None:
                    model.to(memory_format=torch.channels_last)
        if shape_probe is not None:
            self._probe_shapes(tuple(shape_probe))
        self.register_state_dict_post_hook(finish_state_dict)
        self.register_load_state_dict_post_hook(ignore_missing_teacher_keys)

    # ------------------------------------------------------------------ build
    def _add_loss(self, name: str, cfg: dict) -> None:
        if not name.startswith('loss_'):
            raise ValueError(f'distill_losses key {name!r} must start with "loss_" '
                             '(MMEngine sums only the log entries named loss*).')
        try:
            loss = cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)
        except KeyError as error:
            raise KeyError(f'{name}: {error}. Registered distillation losses: '
                           f'{", ".join(registered_losses())}') from error
        self.distill_losses[name] = loss
        self._loss_inputs[name] = forward_argument_names(loss)

    def _build_taps(self, model: nn.Module, role: str, requested: Set[str],
                    declared: Dict[str, TapSpec]) -> Optional[ModelTaps]:
        wanted = {base for base, owner in map(split_model_output, requested)
                  if owner == role}
        groups = {name: declared.get(name) or default_tap(model, name, role)
                  for name in sorted(wanted)}
        for name, paths in declared.items():
            for path in [paths] if isinstance(paths, str) else paths:
                resolve_module(model, path.split(':')[0], f'{role}_taps[{name!r}]')
        return ModelTaps(model, groups, role) if groups else None

    def _check_num_classes(self, requested: Set[str]) -> None:
        """Teacher and student logits are compared class by class: same class count."""
        if not {'logits_s', 'logits_t'} <= requested and not (
                {'logits_s_strong', 'logits_t_strong'} <= requested):
            return
        counts = {}
        for role, model in (('student', self.student), ('teacher', self.teacher)):
            layer = resolve_module(model, classifier_layer_path(model), role)
            counts[role] = layer.out_features
        if counts['student'] != counts['teacher']:
            raise ValueError(
                f"The student predicts {counts['student']} classes and the teacher "
                f"{counts['teacher']}: their logits cannot be distilled. Set the same "
                "head num_classes in model.student and model.teacher (and use a teacher "
                'checkpoint trained on the same label set).')

    def _probe_shapes(self, shape: tuple) -> None:
        """Run both models once on zeros and let the losses check what they receive."""
        checkers = {name: loss for name, loss in self.distill_losses.items()
                    if callable(getattr(loss, 'check_shapes', None))}
        if not checkers:
            return
        if len(shape) != 3:
            raise ValueError(f'shape_probe must be (C, H, W), got {shape}')
        modes = {module: module.training for module in self.modules()}
        self.eval()
        try:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                inputs = torch.zeros(PROBE_BATCH, *shape)
                # The online teacher even where a subclass replaces it (a cache).
                outputs = ClassificationDistiller._teacher_outputs(self, inputs, [])
                if self.student_taps is not None:
                    with self.student_taps.recording():
                        self.student(inputs, mode='tensor')
                    outputs.update(
                        {f'{k}_s': v for k, v in self.student_taps.collect().items()})
                for name, loss in checkers.items():
                    wanted = self._check_shapes_inputs(name, loss, outputs)
                    missing = [arg for arg in wanted if arg not in outputs]
                    if missing:
                        raise ValueError(f'{name}: check_shapes asks for {missing}, which '
                                         'the shape probe does not compute.')
                    try:
                        loss.check_shapes(**{arg: outputs[arg] for arg in wanted})
                    except ValueError as error:
                        raise ValueError(
                            f'{error} (found by the shape probe: both models run on a '
                            f'zero batch of shape {(PROBE_BATCH, *shape)} when the '
                            'distiller is built)') from error
        finally:
            for module, mode in modes.items():
                module.training = mode

    def _check_shapes_inputs(self, name: str, loss: nn.Module, outputs: dict) -> List[str]:
        """The inputs a loss's ``check_shapes`` names (a wrapper taking ``**inputs``
        gets the model outputs its ``forward`` reads)."""
        parameters = inspect.signature(loss.check_shapes).parameters.values()
        if any(p.kind == p.VAR_KEYWORD for p in parameters):
            return [arg for arg in self._loss_inputs[name] if arg in outputs]
        return [p.name for p in parameters]

    def _freeze_teacher(self) -> None:
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def init_weights(self) -> None:
        """Load the teacher checkpoint, then initialise the student (and connectors).

        The runner calls this when training starts (not when testing), so a remote
        ``teacher_ckpt`` is only fetched for training.
        """
        if self.teacher is not None and self.teacher_ckpt:
            load_model_weights(self.teacher, self.teacher_ckpt, role='teacher')
            # BaseModule.init_weights skips initialised children: keep these weights.
            compat.mark_initialised(self.teacher)
        elif self.teacher is not None and not getattr(self.teacher, 'is_init', False):
            print_log('No teacher_ckpt: the teacher keeps the weights of its own config '
                      '(random unless its init_cfg loads a checkpoint).', 'current',
                      level=logging.WARNING)
        if self.student_ckpt:
            load_model_weights(self.student, self.student_ckpt, role='student')
            compat.mark_initialised(self.student)
        super().init_weights()

    def train(self, mode: bool = True) -> 'ClassificationDistiller':
        """Switch the student (and connectors); the teacher stays in eval() (but for its
        BatchNorm layers with ``teacher_norm_train``)."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
            if mode and self.teacher_norm_train:
                for module in self.teacher.modules():
                    if isinstance(module, nn.modules.batchnorm._BatchNorm):
                        module.train()
        return self

    # ---------------------------------------------------------------- forward
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        inputs = self.format_inputs(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        # Validation, test and deployment see the student alone.
        return self.student(inputs, data_samples, mode=mode)

    def format_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.memory_format is torch.channels_last and inputs.dim() == 4:
            return inputs.contiguous(memory_format=torch.channels_last)
        return inputs

    def run_teacher(self, inputs: torch.Tensor,
                    data_samples: Optional[List[DataSample]] = None,
                    mode: str = 'tensor'):
        """The teacher on the student's batch: its input adapted (``teacher_input``),
        under ``no_grad`` and ``teacher_precision``. Hooks and tools that run the
        teacher call this, so they see what the losses see."""
        if self.teacher_input is not None:
            inputs = self.format_inputs(self.teacher_input(inputs))
        with torch.no_grad(), precision_context(self.teacher_precision,
                                                inputs.device.type):
            return self.teacher(inputs, data_samples, mode=mode)

    def extract_feat(self, inputs: torch.Tensor, **kwargs):
        return self.student.extract_feat(inputs, **kwargs)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None, **kwargs):
        return self.student.predict(inputs, data_samples, **kwargs)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Student head loss (scaled) plus every distillation term."""
        inputs, extra_views = self._split_views(inputs, data_samples)
        available = self._batch_values(inputs, data_samples)
        available.update(self._teacher_outputs(inputs, data_samples))
        with precision_context(self.student_precision, inputs.device.type):
            if self.student_taps is None:
                student_losses = self.student(inputs, data_samples, mode='loss')
            else:
                with self.student_taps.recording():
                    student_losses = self.student(inputs, data_samples, mode='loss')
                available.update(
                    {f'{k}_s': v for k, v in self.student_taps.collect().items()})
            available.update(self._view_outputs_of(extra_views, available))

            losses = {}
            for key, value in student_losses.items():
                if 'loss' in key:
                    value = value * self.student_loss_weight
                losses['loss_cls' if key == 'loss' else key] = value
            for name, loss in self.distill_losses.items():
                losses[name] = loss(
                    **{arg: available[arg] for arg in self._loss_inputs[name]})
        return losses

    def _split_views(self, inputs: torch.Tensor, data_samples: List[DataSample]):
        """Split a view-major ``(V * B, ...)`` batch (MultiViewClsDataPreprocessor)."""
        num_views = inputs.shape[0] // len(data_samples)
        if num_views > 1:
            views = inputs.chunk(num_views)
            return views[0], list(views[1:])
        strong = [n for n in self._view_outputs if VIEW_OUTPUTS[n][1] == 'strong']
        if strong:
            raise ValueError(
                f'The losses ask for {strong}, but the batch has one view per image. '
                'Wrap the training pipeline in MultiView (weak and strong transforms) '
                'and use MultiViewClsDataPreprocessor.')
        return inputs, []

    def _view_outputs_of(self, extra_views: List[torch.Tensor], available: dict) -> dict:
        """Logits of the models on the second view or the auxiliary batch."""
        batches = {}
        outputs = {}
        for name in self._view_outputs:
            role, view = VIEW_OUTPUTS[name]
            if view not in batches:
                batches[view] = extra_views[0] if view == 'strong' else self.aux_batch(
                    **{arg: available[arg] for arg in self._aux_inputs})
            if role == 'student':
                outputs[name] = self.student(batches[view], mode='tensor')
            else:
                outputs[name] = self.run_teacher(batches[view])
        return outputs

    def _teacher_outputs(self, inputs: torch.Tensor,
                         data_samples: List[DataSample]) -> dict:
        if self.teacher_taps is None:
            return {}
        with self.teacher_taps.recording():
            self.run_teacher(inputs)
        return {f'{k}_t': v for k, v in self.teacher_taps.collect().items()}

    def _batch_values(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        return {name: BATCH_INPUTS[name].getter(inputs, data_samples)
                for name in self._batch_inputs}


def finish_state_dict(distiller: ClassificationDistiller, state_dict: dict, prefix: str,
                      local_metadata: dict) -> None:
    """State-dict hook: leave the teacher out unless ``teacher_in_checkpoint``, and
    apply the student's / teacher's own key-renaming hooks.

    torch discards the dict that a nested module's state-dict hook returns (only the
    top-level return value counts). MMPretrain's ``TimmClassifier`` renames its keys that
    way (``model.conv1`` -> ``conv1``) and adds the prefix back when loading, so inside a
    distiller its checkpoints would not load. Its hooks are re-applied here.
    """
    if not distiller.teacher_in_checkpoint:
        for key in [k for k in state_dict if k.startswith(prefix + TEACHER_PREFIX)]:
            del state_dict[key]
    for name in ('student', 'teacher'):
        child = getattr(distiller, name)
        child_prefix = f'{prefix}{name}.'
        keys = [k for k in state_dict if k.startswith(child_prefix)]
        if child is None or not keys:
            continue
        for hook in compat.state_dict_hooks(child):
            renamed = hook(child, OrderedDict((k, state_dict[k]) for k in keys),
                           child_prefix, local_metadata)
            if renamed is not None:
                for key in keys:
                    del state_dict[key]
                state_dict.update(renamed)
                keys = list(renamed)


def ignore_missing_teacher_keys(distiller: ClassificationDistiller,
                                incompatible_keys) -> None:
    """Load hook: checkpoints without the teacher are the norm, do not report its keys."""
    if not distiller.teacher_in_checkpoint:
        missing = incompatible_keys.missing_keys
        missing[:] = [k for k in missing if TEACHER_PREFIX not in k]


def registered_losses() -> List[str]:
    """Names in the registry that look like distillation losses (for error messages)."""
    from kd_plugin.models import dis_losses
    return sorted(dis_losses.__all__)
