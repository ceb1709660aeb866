import contextlib
import inspect
import logging
import os
from collections import OrderedDict
from typing import ContextManager, Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.utils import compat
from kd_plugin.utils.checkpoint import load_model_weights
from kd_plugin.utils.teacher_cache import DEFAULT_FILL_MARGIN, TeacherCache
from kd_plugin.utils.vocabulary import (
    BATCH_INPUTS,
    VIEWS,
    check_requested,
    closest,
    forward_argument_names,
    input_owner,
    register_view,
    split_model_output,
    view_output,
)
from .taps import ModelTaps, resolve_module
from .teacher_input import TeacherInputAdapter, preprocessor_normalisation
from .teacher_sources import CachedTeacher, OnlineTeacher

TapSpec = Union[str, Sequence[str]]
TEACHER_PREFIX = 'teacher.'
PRECISIONS = {
    'auto': None,
    'fp32': torch.float32,
    'bf16': torch.bfloat16,
    'fp16': torch.float16
}
PROBE_BATCH = 2

register_view(
    'aux', "(B', C) logits of the auxiliary batch built by the distiller's `aux_batch` "
    "module from this step's inputs (e.g. HE-DA's CutMix of high-energy images)",
    source='builder',
    provider=__name__)


def precision_context(precision: str, device_type: str) -> ContextManager:
    """The autocast context of a precision name: ``'auto'`` inherits the caller's
    (e.g. MMEngine's ``AmpOptimWrapper``), ``'fp32'`` turns autocast off, ``'bf16'`` /
    ``'fp16'`` autocast to that type."""
    if precision == 'auto':
        return contextlib.nullcontext()
    if precision == 'fp32':
        return torch.autocast(device_type, enabled=False)
    return torch.autocast(device_type, dtype=PRECISIONS[precision])


def check_choice(value: str, name: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f'{name}={value!r}: expected one of {list(allowed)}'
                         f'{closest(str(value), list(allowed))}.')
    return value


def model_config(cfg: Union[dict, str]) -> dict:
    """The model dict of a model dict, a config file path, or a ``pkg::`` path."""
    if isinstance(cfg, str):
        if '::' in cfg:
            from mmengine.hub import get_config
            return get_config(cfg).model
        return Config.fromfile(cfg).model
    return cfg


def build_classifier(cfg: Union[dict, str, nn.Module], role: str) -> nn.Module:
    """Build a classifier from a model dict, a config file path, or ``pkg::`` path."""
    if isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, (dict, str)):
        return MODELS.build(model_config(cfg))
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
    linears = [
        name for name, module in getattr(model, root).named_modules()
        if isinstance(module, nn.Linear)
    ]
    if not linears:
        raise ValueError(
            f'No nn.Linear classifier found under {type(model).__name__}.{root}; '
            "declare the penultimate vector's tap, e.g. pooled='head.fc:input'.")
    return f'{root}.{linears[-1]}' if linears[-1] else root


def load_configured_weights(model: nn.Module, path: str, role: str) -> None:
    """Load ``model.<role>_ckpt`` into the model; a missing file is named with the config
    key and the folder a relative path was resolved against."""
    try:
        load_model_weights(model, path, role=role)
    except FileNotFoundError as error:
        where = os.path.abspath(os.path.expanduser(path))
        raise FileNotFoundError(
            f'model.{role}_ckpt={path!r} does not exist (looked for {where}; a relative '
            f'path is read from the working directory, {os.getcwd()}). Run from the '
            'folder the path is relative to (the repository root for the shipped '
            f'configs), or give an absolute path: --cfg-options model.{role}_ckpt=PATH '
            '(mim train: --cfg-options as well).') from error


def feature_extractor(model: nn.Module, role: str) -> nn.Module:
    """The part of a classifier that does the bulk of its compute: an MMPretrain
    classifier's ``backbone``, a ``TimmClassifier``'s wrapped ``model``."""
    for name in ('backbone', 'model'):
        module = getattr(model, name, None)
        if isinstance(module, nn.Module):
            return module
    raise ValueError(f'compile: the {role} ({type(model).__name__}) has neither a '
                     '`backbone` nor a wrapped `model` to compile.')


def num_classes_of(model: nn.Module, role: str) -> int:
    return resolve_module(model, classifier_layer_path(model), role).out_features


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


def build_loss(name: str, cfg: Union[dict, nn.Module]) -> nn.Module:
    """Build the loss ``distill_losses[name]``; an unknown type or keyword is reported
    with the entry's name, the closest valid choice and the valid keywords."""
    if isinstance(cfg, nn.Module):
        return cfg
    loss_type = cfg.get('type')
    loss_class = MODELS.get(loss_type) if isinstance(loss_type, str) else loss_type
    if loss_class is None:
        losses = registered_losses()
        raise KeyError(f'distill_losses.{name}: unknown loss type {loss_type!r}'
                       f'{closest(str(loss_type), losses)}. Registered distillation '
                       f'losses: {", ".join(losses)}')
    parameters = inspect.signature(loss_class.__init__).parameters
    takes_any = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    keywords = [
        p for p in parameters
        if p != 'self' and parameters[p].kind not in (inspect.Parameter.VAR_KEYWORD,
                                                      inspect.Parameter.VAR_POSITIONAL)
    ]
    unknown = [key for key in cfg if key != 'type' and key not in keywords]
    if unknown and not takes_any:
        key = unknown[0]
        raise TypeError(f'distill_losses.{name}: {loss_class.__name__} has no argument '
                        f'{key!r}{closest(key, keywords)}; its arguments: '
                        f'{", ".join(keywords)}')
    return MODELS.build(cfg)


@MODELS.register_module()
class ClassificationDistiller(BaseClassifier):
    """Train a student classifier with distillation losses from a frozen teacher.

    Every MMPretrain classifier works as either model (``ImageClassifier``,
    ``TimmClassifier`` ...). The distiller reads, once at build time, which inputs its
    losses name in ``forward`` (the vocabulary of ``docs/loss_api.md``) and computes
    exactly those in each step: one student forward with gradients, and the teacher's
    outputs from its source, the teacher run once under ``no_grad`` or a cache of its
    logits (``teacher_cache``). It never branches on a method.

    Args:
        student: Config (or module) of the classifier to train: a model dict or a
            config file path (local or ``mmpretrain::...``).
        teacher: The same for the teacher, or ``None`` for self-distillation (losses
            may then use no ``*_t`` input).
        teacher_ckpt: Checkpoint of the teacher: a runner checkpoint, a state dict, or a
            distiller checkpoint (``student.``/``teacher.``/``module.`` prefixes handled).
        distill_losses: ``{'loss_<name>': loss_cfg}``; each term is logged under its
            name. A loss config may rebind the loss's arguments to other vocabulary
            names with ``inputs``, e.g. ``dict(type='KDLoss', inputs=dict(
            logits_s='logits_s_aux', logits_t='logits_t_aux'))`` distils on the
            auxiliary batch.
        student_loss_weight: Factor on the student head's own losses (e.g. 0.1 for KD on
            CIFAR-100). Its cross-entropy is logged as ``loss_cls``.
        student_taps / teacher_taps: ``{output_name: module path or [paths]}`` that
            override the default taps or add new outputs (see :mod:`.taps`).
        teacher_in_checkpoint: Write the teacher's weights into training checkpoints.
            Off by default: the teacher comes from ``teacher_ckpt`` on every run.
        teacher_norm_train: Keep the teacher's BatchNorm layers in train mode while the
            student trains (batch statistics, running averages updated; parameters stay
            frozen), as OFD's, ReviewKD's and cls_KD's original code does. Everything
            else of the teacher stays in eval(). Since the teacher's statistics then
            change, they are written into checkpoints (so a resume continues from them).
        data_preprocessor: Shared by both models (normalisation and batch augments run
            once). Defaults to the student's, including its ``train_cfg.augments``.
        aux_batch: Optional module config that builds the ``aux`` view in each step
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
        teacher_cache: A teacher-output cache file (``tools/build_teacher_cache.py``,
            format in :mod:`kd_plugin.utils.teacher_cache`), or a
            :class:`TeacherCache`: the losses' ``logits_t`` are looked up there instead
            of running the teacher (:class:`.CachedTeacher`). Only losses whose teacher
            inputs are all ``logits_t`` can use one; the teacher is then neither built
            nor loaded unless something asks to run it (:meth:`run_teacher`, e.g.
            ``TeacherEvalHook``).
        teacher_cache_fill_margin: For top-k caches, the logit margin of the classes
            not stored (:func:`~kd_plugin.utils.teacher_cache.expand_topk`).
        compile: ``torch.compile`` the models' feature extractors (the ``backbone``, or
            a timm classifier's ``model``), in place, so parameter names and
            checkpoints stay plain (no ``_orig_mod.``): ``True`` for both models, or
            ``dict(student=True, teacher=True, mode=None, backend='inductor',
            dynamic=None, fullgraph=False, options=None)`` (the other keys are
            ``torch.compile``'s). Taps and feature losses keep working (their hooks
            are traced); the shape probe runs eagerly, before compiling; the
            heads, losses and connectors stay eager. Off by default. The first steps
            compile (once for training, once for validation); the benchmark reports
            that time separately (``tools/benchmark.py --compile``).
    """

    def __init__(self,
                 student: Union[dict, str, nn.Module],
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
                 channels_last: bool = False,
                 teacher_cache: Union[str, TeacherCache, None] = None,
                 teacher_cache_fill_margin: float = DEFAULT_FILL_MARGIN,
                 compile: Union[bool, dict] = False) -> None:
        if not isinstance(student, nn.Module):
            student = model_config(student)
        super().__init__(
            init_cfg=init_cfg,
            data_preprocessor=self._build_preprocessor(data_preprocessor, student))
        self.student = build_classifier(student, 'student')
        self.student_ckpt = student_ckpt
        self.student_loss_weight = student_loss_weight
        self.student_precision = check_choice(student_precision, 'student_precision',
                                              ('auto', 'fp32', 'bf16'))
        self.memory_format = (
            torch.channels_last if channels_last else torch.contiguous_format)
        self.teacher_ckpt = teacher_ckpt
        self.teacher_norm_train = teacher_norm_train
        self.teacher_in_checkpoint = teacher_in_checkpoint or teacher_norm_train
        self.teacher_precision = check_choice(teacher_precision, 'teacher_precision',
                                              list(PRECISIONS))
        self._teacher_cfg = teacher
        self._teacher_input_cfg = teacher_input
        # The teacher right after the student (and before the losses' connectors): the
        # random initialisation order of every earlier release.
        self.teacher: Optional[nn.Module] = None
        self.teacher_input: Optional[TeacherInputAdapter] = None
        if teacher_cache is None:
            self._build_online_teacher(teacher, teacher_input)

        self._build_losses(distill_losses or {}, aux_batch)
        self._active_losses: Optional[Set[str]] = None
        declared_taps = set(student_taps or {}) | set(teacher_taps or {})
        self._check_vocabulary(declared_taps)
        self.student_taps = self._build_taps(self.student, 'student', student_taps or {})
        self.teacher_taps: Optional[ModelTaps] = None
        if teacher_cache is None:
            if self.teacher is not None:
                self.teacher_taps = self._build_taps(self.teacher, 'teacher', teacher_taps
                                                     or {})
            self.teacher_source = OnlineTeacher(
                self.teacher_taps, self.run_teacher,
                lambda: num_classes_of(self.teacher, 'teacher'))
        else:
            self.teacher_source = CachedTeacher(
                self._open_cache(teacher_cache, teacher_cache_fill_margin),
                teacher=model_config(teacher),
                teacher_ckpt=teacher_ckpt,
                teacher_input=teacher_input,
                teacher_precision=self.teacher_precision,
                data_preprocessor=self.data_preprocessor)
        self._check_teacher_outputs()

        if channels_last:
            for model in (self.student, self.teacher):
                if model is not None:
                    model.to(memory_format=torch.channels_last)
        if shape_probe is not None:
            self._probe_shapes(tuple(shape_probe))
        if compile:
            self._compile_models({} if compile is True else dict(compile))
        self.register_state_dict_post_hook(finish_state_dict)
        self.register_load_state_dict_post_hook(ignore_missing_teacher_keys)

    # ------------------------------------------------------------------ build
    @staticmethod
    def _build_preprocessor(data_preprocessor: Optional[dict],
                            student: Union[dict, nn.Module]) -> nn.Module:
        """The shared data preprocessor; by default the student's, with its batch
        augments (``train_cfg.augments``)."""
        if data_preprocessor is None and isinstance(student, dict):
            data_preprocessor = student.get('data_preprocessor')
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        if isinstance(student, dict) and student.get('train_cfg'):
            data_preprocessor.setdefault('batch_augments', student['train_cfg'])
        return MODELS.build(data_preprocessor)

    def _build_losses(self, distill_losses: Dict[str, dict],
                      aux_batch: Optional[dict]) -> None:
        """The losses, the vocabulary name bound to each of their arguments, the aux
        batch builder, and the set of inputs a step computes."""
        self.distill_losses = nn.ModuleDict()
        self._loss_inputs: Dict[str, List[Tuple[str, str]]] = {}
        for name, cfg in distill_losses.items():
            if not name.startswith('loss_'):
                raise ValueError(f'distill_losses key {name!r} must start with "loss_" '
                                 '(MMEngine sums only the log entries named loss*).')
            bindings = {}
            if isinstance(cfg, dict):
                cfg = dict(cfg)
                bindings = dict(cfg.pop('inputs', None) or {})
            loss = build_loss(name, cfg)
            arguments = forward_argument_names(loss)
            unknown = [arg for arg in bindings if arg not in arguments]
            if unknown:
                raise ValueError(
                    f'distill_losses.{name}.inputs binds {unknown[0]!r}'
                    f'{closest(unknown[0], arguments)}, which {type(loss).__name__} does '
                    f'not take; its inputs: {", ".join(arguments)}')
            self.distill_losses[name] = loss
            self._loss_inputs[name] = [(arg, bindings.get(arg, arg)) for arg in arguments]
        self.aux_batch = None if aux_batch is None else MODELS.build(aux_batch)
        self._aux_inputs = ([] if self.aux_batch is None else forward_argument_names(
            self.aux_batch))
        self._requested: Set[str] = {
            source
            for pairs in self._loss_inputs.values()
            for _, source in pairs
        } | set(self._aux_inputs)
        self._batch_inputs = sorted(self._requested & set(BATCH_INPUTS))
        self._view_outputs = sorted(n for n in self._requested if view_output(n))

    def _check_vocabulary(self, declared_taps: Set[str]) -> None:
        for name, loss in self.distill_losses.items():
            check_requested(name, loss, [s for _, s in self._loss_inputs[name]],
                            declared_taps)
        if self.aux_batch is not None:
            check_requested('aux_batch', self.aux_batch, self._aux_inputs, declared_taps)
        built = [
            n for n in self._view_outputs if VIEWS[view_output(n)[1]].source == 'builder'
        ]
        if built and self.aux_batch is None:
            raise ValueError(f'The losses ask for {built}, built in each step by the '
                             "distiller's `aux_batch` module: configure one.")

    def _build_online_teacher(self, teacher, teacher_input: Optional[dict]) -> None:
        if teacher is None:
            if teacher_input is not None:
                raise ValueError('teacher_input converts the batch for the teacher, but '
                                 'teacher=None.')
            return
        self.teacher = self._frozen_teacher(teacher)
        self.teacher_input = self._input_adapter(teacher_input)

    def _frozen_teacher(self, teacher) -> nn.Module:
        model = build_classifier(teacher, 'teacher')
        model.requires_grad_(False)
        return model.eval()

    def _input_adapter(self,
                       teacher_input: Optional[dict]) -> Optional[TeacherInputAdapter]:
        """The teacher's input adaptation (None: the teacher takes the batch as is)."""
        if teacher_input is None:
            return None
        adapter = TeacherInputAdapter(*preprocessor_normalisation(self.data_preprocessor),
                                      **teacher_input)
        return None if adapter.is_identity else adapter

    def _open_cache(self, cache: Union[str, TeacherCache],
                    fill_margin: float) -> TeacherCache:
        """The cache, after checking that this configuration can read it."""
        if self.teacher_norm_train:
            raise ValueError('teacher_norm_train changes the teacher while training: its '
                             'outputs cannot be cached.')
        if getattr(self.data_preprocessor, 'batch_augments', None) is not None:
            raise ValueError('Batch augments (Mixup/CutMix) make images no cache holds; '
                             'remove them or drop teacher_cache.')
        if self._teacher_cfg is None:
            raise ValueError('teacher_cache holds the outputs of a teacher, but '
                             'teacher=None.')
        return cache if isinstance(cache, TeacherCache) else TeacherCache(
            cache, fill_margin)

    def _check_teacher_outputs(self) -> None:
        """Every teacher input the losses read can come from the teacher source, and
        teacher and student predict the same classes."""
        teacher_inputs = {n for n in self._requested if input_owner(n) == 'teacher'}
        users = sorted(name for name, pairs in self._loss_inputs.items()
                       if any(source in teacher_inputs for _, source in pairs))
        if self._teacher_cfg is None and teacher_inputs:
            raise ValueError(f'{users} need teacher outputs but teacher=None; set '
                             '`teacher` (and `teacher_ckpt`) or use a self-distillation '
                             'loss.')
        provides = self.teacher_source.provides
        missing = teacher_inputs - provides if provides is not None else set()
        if missing:
            users = sorted(name for name, pairs in self._loss_inputs.items()
                           if any(source in missing for _, source in pairs))
            if set(self._aux_inputs) & missing:
                users.append('aux_batch')
            raise ValueError(
                f'A teacher cache gives only {sorted(provides)}, but {users} ask for the '
                f'teacher inputs {sorted(missing)}, which need the teacher to run. Drop '
                'teacher_cache for these losses.')
        teacher_logits = {n for n in teacher_inputs if n == 'logits_t' or view_output(n)}
        if not teacher_logits:
            return
        student = num_classes_of(self.student, 'student')
        teacher, source = self.teacher_source.num_classes(), self.teacher_source.label
        if student != teacher:
            raise ValueError(
                f'The student predicts {student} classes and {source} {teacher}: their '
                'logits cannot be distilled. Set the same head num_classes in '
                'model.student and model.teacher (and use a teacher checkpoint or cache '
                'made for the same label set).')

    def _build_taps(self, model: nn.Module, role: str,
                    declared: Dict[str, TapSpec]) -> Optional[ModelTaps]:
        wanted = {
            base
            for base, owner in map(split_model_output, self._requested) if owner == role
        }
        groups = {
            name: declared.get(name) or default_tap(model, name, role)
            for name in sorted(wanted)
        }
        for name, paths in declared.items():
            for path in [paths] if isinstance(paths, str) else paths:
                resolve_module(model, path.split(':')[0], f'{role}_taps[{name!r}]')
        return ModelTaps(model, groups, role) if groups else None

    def _compile_models(self, options: dict) -> None:
        """Compile the feature extractor of each model named in ``options`` in place."""
        roles = {role: options.pop(role, True) for role in ('student', 'teacher')}
        allowed = [
            name for name in inspect.signature(torch.compile).parameters
            if name != 'model'
        ]
        unknown = [key for key in options if key not in allowed]
        if unknown:
            raise ValueError(
                f'compile: unknown key {unknown[0]!r}{closest(unknown[0], allowed)}; '
                'expected student, teacher and torch.compile arguments '
                '(mode, backend, dynamic, fullgraph, options).')
        for role, wanted in roles.items():
            model = getattr(self, role)
            if wanted and model is not None:
                feature_extractor(model, role).compile(**options)

    def _probe_shapes(self, shape: tuple) -> None:
        """Run both models once on zeros and let the losses check what they receive."""
        checkers = {
            name: loss
            for name, loss in self.distill_losses.items()
            if callable(getattr(loss, 'check_shapes', None))
        }
        if not checkers:
            return
        if len(shape) != 3:
            raise ValueError(f'shape_probe must be (C, H, W), got {shape}')
        modes = {module: module.training for module in self.modules()}
        self.eval()
        try:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                inputs = torch.zeros(PROBE_BATCH, *shape)
                outputs = self.teacher_source.probe_outputs(inputs)
                if self.student_taps is not None:
                    with self.student_taps.recording():
                        self.student(inputs, mode='tensor')
                    outputs.update({
                        f'{k}_s': v
                        for k, v in self.student_taps.collect().items()
                    })
                for name, loss in checkers.items():
                    wanted = self._check_shapes_inputs(name, loss, outputs)
                    missing = [source for _, source in wanted if source not in outputs]
                    if missing:
                        raise ValueError(
                            f'{name}: check_shapes asks for {missing}, which '
                            'the shape probe does not compute.')
                    try:
                        loss.check_shapes(**{
                            arg: outputs[source]
                            for arg, source in wanted
                        })
                    except ValueError as error:
                        raise ValueError(
                            f'{error} (found by the shape probe: both models run on a '
                            f'zero batch of shape {(PROBE_BATCH, *shape)} when the '
                            'distiller is built)') from error
        finally:
            for module, mode in modes.items():
                module.training = mode

    def _check_shapes_inputs(self, name: str, loss: nn.Module,
                             outputs: dict) -> List[Tuple[str, str]]:
        """``(argument, vocabulary name)`` of what a loss's ``check_shapes`` reads (a
        wrapper taking ``**inputs`` gets the model outputs its ``forward`` reads)."""
        bindings = dict(self._loss_inputs[name])
        parameters = inspect.signature(loss.check_shapes).parameters.values()
        if any(p.kind == p.VAR_KEYWORD for p in parameters):
            return [(arg, source) for arg, source in self._loss_inputs[name]
                    if source in outputs]
        return [(p.name, bindings.get(p.name, p.name)) for p in parameters]

    def init_weights(self) -> None:
        """Load the teacher checkpoint, then initialise the student (and connectors).

        The runner calls this when training starts (not when testing), so a remote
        ``teacher_ckpt`` is only fetched for training.
        """
        if self.teacher is not None:
            self._load_teacher(self.teacher)
        if self.student_ckpt:
            load_configured_weights(self.student, self.student_ckpt, 'student')
            compat.mark_initialised(self.student)
        super().init_weights()

    def _load_teacher(self, teacher: nn.Module) -> None:
        if self.teacher_ckpt:
            load_configured_weights(teacher, self.teacher_ckpt, 'teacher')
            # BaseModule.init_weights skips initialised children: keep these weights.
            compat.mark_initialised(teacher)
        elif not getattr(teacher, 'is_init', False):
            print_log(
                'No teacher_ckpt: the teacher keeps the weights of its own config '
                '(random unless its init_cfg loads a checkpoint).',
                'current',
                level=logging.WARNING)

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

    def set_active_losses(self, names: Optional[Sequence[str]]) -> None:
        """Compute only the distillation terms ``names`` from the next step on (None:
        all of them). A training stage switches terms this way
        (``kd_plugin/engine/stages.py``); a term that is off is neither computed nor
        logged."""
        if names is not None:
            unknown = [name for name in names if name not in self.distill_losses]
            if unknown:
                raise KeyError(f'{unknown[0]!r} is not a key of distill_losses'
                               f'{closest(unknown[0], list(self.distill_losses))}; '
                               f'the keys: {", ".join(self.distill_losses)}')
        self._active_losses = None if names is None else set(names)

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

    def run_teacher(self,
                    inputs: torch.Tensor,
                    data_samples: Optional[List[DataSample]] = None,
                    mode: str = 'tensor'):
        """The teacher on the student's batch: its input adapted (``teacher_input``),
        under ``no_grad`` and ``teacher_precision``. Hooks and tools that run the
        teacher call this, so they see what the losses see. With a teacher cache the
        teacher is built and loaded on the first call (it is not part of the model)."""
        if self.teacher is not None:
            teacher, adapter = self.teacher, self.teacher_input
        else:
            teacher, adapter = self._standby_teacher(inputs.device)
        if adapter is not None:
            inputs = self.format_inputs(adapter(inputs))
        with torch.no_grad(), precision_context(self.teacher_precision,
                                                inputs.device.type):
            return teacher(inputs, data_samples, mode=mode)

    def _standby_teacher(
            self,
            device: torch.device) -> Tuple[nn.Module, Optional[TeacherInputAdapter]]:
        """The teacher (and input adapter) of a cached run, built and loaded when first
        asked for and kept out of the module tree (not in the model's parameters, state
        dict or DDP buckets)."""
        if '_standby' not in self.__dict__:
            if self._teacher_cfg is None:
                raise ValueError('run_teacher: this distiller has no teacher.')
            teacher = self._frozen_teacher(self._teacher_cfg)
            self._load_teacher(teacher)
            teacher = teacher.to(device).to(memory_format=self.memory_format)
            adapter = self._input_adapter(self._teacher_input_cfg)
            if adapter is not None:
                adapter = adapter.to(device)
            self.__dict__['_standby'] = (teacher, adapter)
        return self.__dict__['_standby']

    def extract_feat(self, inputs: torch.Tensor, **kwargs):
        return self.student.extract_feat(inputs, **kwargs)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs):
        return self.student.predict(inputs, data_samples, **kwargs)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Student head loss (scaled) plus every distillation term."""
        inputs, extra_views = self._split_views(inputs, data_samples)
        available = self._batch_values(inputs, data_samples)
        available.update(self.teacher_source.outputs(inputs, data_samples))
        with precision_context(self.student_precision, inputs.device.type):
            if self.student_taps is None:
                student_losses = self.student(inputs, data_samples, mode='loss')
            else:
                with self.student_taps.recording():
                    student_losses = self.student(inputs, data_samples, mode='loss')
                available.update({
                    f'{k}_s': v
                    for k, v in self.student_taps.collect().items()
                })
            available.update(self._view_outputs_of(extra_views, available))

            losses = {}
            for key, value in student_losses.items():
                if 'loss' in key:
                    value = value * self.student_loss_weight
                losses['loss_cls' if key == 'loss' else key] = value
            for name, loss in self.distill_losses.items():
                if self._active_losses is not None and name not in self._active_losses:
                    continue
                losses[name] = loss(**{
                    arg: available[source]
                    for arg, source in self._loss_inputs[name]
                })
        return losses

    def _split_views(self, inputs: torch.Tensor, data_samples: List[DataSample]):
        """Split a view-major ``(V * B, ...)`` batch (MultiViewClsDataPreprocessor)."""
        num_views = inputs.shape[0] // len(data_samples)
        views = list(inputs.chunk(num_views)) if num_views > 1 else [inputs]
        for name in self._view_outputs:
            view = VIEWS[view_output(name)[1]]
            if view.source == 'data' and view.index >= num_views:
                raise ValueError(
                    f'The losses ask for {name!r} (view {view.index} of each image), but '
                    f'the batch has {num_views} view(s) per image. Wrap the training '
                    'pipeline in MultiView (e.g. weak and strong transforms) and use '
                    'MultiViewClsDataPreprocessor.')
        return views[0], views

    def _view_outputs_of(self, views: List[torch.Tensor], available: dict) -> dict:
        """Logits of the models on the other views of the images (data views, or the
        batch the ``aux_batch`` module builds)."""
        batches = {}
        outputs = {}
        for name in self._view_outputs:
            role, view = view_output(name)
            if view not in batches:
                spec = VIEWS[view]
                batches[view] = views[spec.index] if spec.source == 'data' else (
                    self.aux_batch(**{arg: available[arg]
                                      for arg in self._aux_inputs}))
            if role == 'student':
                outputs[name] = self.student(batches[view], mode='tensor')
            else:
                outputs[name] = self.run_teacher(batches[view])
        return outputs

    def _batch_values(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        return {
            name: BATCH_INPUTS[name].getter(inputs, data_samples)
            for name in self._batch_inputs
        }


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
    """Names of the registered distillation losses (for error messages): the
    ``*Loss`` modules of :mod:`kd_plugin.models.dis_losses`, not its helpers
    (``HighEnergyMix``, functions)."""
    from kd_plugin.models import dis_losses
    return sorted(
        name for name in dis_losses.__all__
        if name.endswith('Loss') and isinstance(getattr(dis_losses, name), type))
