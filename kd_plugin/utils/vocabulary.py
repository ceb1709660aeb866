"""The inputs a distillation loss can ask for by naming them in ``forward``.

Three kinds of names exist, and each is declared by the component that provides it:

* model outputs, suffixed ``_s`` (student) or ``_t`` (teacher): recorded with forward
  hooks during the one forward pass of each model. :data:`MODEL_OUTPUTS` lists those
  with a default tap; a config may declare further taps
  (``student_taps=dict(attn='backbone.layers.11.attn')`` gives ``attn_s``).
* batch inputs, the same for both models (``target``, ``epoch``, ...):
  :func:`register_batch_input` declares one with the function that reads it from the
  step's batch (a dataset wrapper or transform that adds a data-sample field registers
  its field where it is defined, e.g. CRD's ``contrast_idx``).
* logits of the models on another view of the images, ``logits_s_<view>`` /
  ``logits_t_<view>``: :func:`register_view` declares a view and where its images come
  from (a further view of a multi-view batch, or a module building it in each step).

A loss may also rebind its arguments to other names in its config
(``inputs=dict(logits_s='logits_s_aux')``). The registered names are the single source
of ``docs/loss_api.md``'s vocabulary.
"""
import inspect
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

MODEL_OUTPUTS: Dict[str, str] = {
    'logits':
    '(B, C) raw logits',
    'feats':
    'tuple of stage feature maps (B, C_i, H_i, W_i), post-activation, '
    'shallow to deep',
    'preact_feats':
    'the same stages taken before the last ReLU of each stage',
    'pooled':
    '(B, D) penultimate vector, the input of the classifier\'s linear layer',
    'classifier':
    'the nn.Linear classifier module (the teacher\'s is frozen)',
    'feature_map':
    '(B, D, H, W) the last feature map, the one the head pools (by default '
    'the input of the neck; a tuple there means its last element)',
}
MODEL_SUFFIXES = {'_s': 'student', '_t': 'teacher'}
VIEW_SOURCES = ('data', 'builder')


class BatchInput(NamedTuple):
    description: str
    getter: Callable[[torch.Tensor, Sequence], object]
    provider: str


class View(NamedTuple):
    description: str
    source: str
    index: int
    provider: str


BATCH_INPUTS: Dict[str, BatchInput] = {}
VIEWS: Dict[str, View] = {}


def _reserved(name: str) -> Optional[str]:
    for suffix in MODEL_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return None


def register_batch_input(name: str, description: str,
                         getter: Callable[[torch.Tensor, Sequence],
                                          object], provider: str) -> None:
    """Declare the batch input ``name`` that losses may name in ``forward``.

    Args:
        name: The argument name; it must not end in ``_s`` / ``_t`` (model outputs).
        description: One line for ``docs/loss_api.md``: shape, dtype, meaning and what
            the config needs for it (e.g. a dataset wrapper).
        getter: ``getter(inputs, data_samples)`` returns the value for the step's batch
            (``inputs``: the student's normalised images; ``data_samples``: MMPretrain
            ``DataSample`` list). It raises a ValueError naming the missing wrapper or
            transform when the batch lacks what it reads.
        provider: Dotted name of the module that registers it (for the docs).
    """
    if _reserved(name):
        raise ValueError(f'Batch input {name!r}: names ending in {list(MODEL_SUFFIXES)} '
                         'are model outputs.')
    known = BATCH_INPUTS.get(name)
    if known is not None and known.provider != provider:
        raise ValueError(f'Batch input {name!r} is registered by {known.provider} '
                         f'already; {provider} must choose another name.')
    BATCH_INPUTS[name] = BatchInput(description, getter, provider)


def register_view(name: str,
                  description: str,
                  source: str,
                  provider: str,
                  index: int = 1) -> None:
    """Declare the view ``name``: losses may then ask for ``logits_s_<name>`` and
    ``logits_t_<name>``, the two models' logits on that view's images.

    Args:
        name: Suffix of the logits names (``'strong'`` gives ``logits_s_strong``).
        description: One line for ``docs/loss_api.md``.
        source: ``'data'``: view ``index`` of a multi-view batch (view 0 is the one the
            models train on; ``MultiViewClsDataPreprocessor`` stacks views view-major);
            ``'builder'``: built in each step by the distiller's ``aux_batch`` module.
        provider: Dotted name of the module that registers it (for the docs).
        index: For ``source='data'``.
    """
    if source not in VIEW_SOURCES:
        raise ValueError(
            f'register_view({name!r}): source must be one of {VIEW_SOURCES}, '
            f'got {source!r}.')
    known = VIEWS.get(name)
    if known is not None and known.provider != provider:
        raise ValueError(f'View {name!r} is registered by {known.provider} already; '
                         f'{provider} must choose another name.')
    VIEWS[name] = View(description, source, int(index), provider)


def view_output(name: str) -> Optional[Tuple[str, str]]:
    """``'logits_t_strong'`` -> ``('teacher', 'strong')``; None for other names."""
    for suffix, owner in MODEL_SUFFIXES.items():
        prefix = f'logits{suffix}_'
        if name.startswith(prefix) and name[len(prefix):] in VIEWS:
            return owner, name[len(prefix):]
    return None


def current_epoch() -> int:
    """The runner's 0-based epoch (RuntimeInfoHook keeps it in the message hub)."""
    return MessageHub.get_current_instance().get_info('epoch') or 0


def forward_argument_names(loss: nn.Module) -> List[str]:
    """Names of ``loss.forward``'s parameters; ``*args``/``**kwargs`` are refused.

    A wrapper whose inputs depend on the loss it wraps declares them instead, as a
    sequence attribute ``input_names``, and takes them as keyword arguments.
    """
    declared = getattr(loss, 'input_names', None)
    if declared is not None:
        return list(declared)
    parameters = inspect.signature(loss.forward).parameters.values()
    variadic = [p.name for p in parameters if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if variadic:
        raise TypeError(
            f'{type(loss).__name__}.forward takes {variadic}: a distillation loss must '
            'name each input it needs (the distiller computes only what is named).')
    return [p.name for p in parameters]


def split_model_output(name: str) -> Tuple[str, str]:
    """``'feats_s'`` -> ``('feats', 'student')``; other names -> ``('', '')``."""
    suffix = _reserved(name)
    if suffix is None or view_output(name) is not None:
        return '', ''
    return name[:-len(suffix)], MODEL_SUFFIXES[suffix]


def input_owner(name: str) -> str:
    """'student' / 'teacher' for inputs computed by a model, '' for batch inputs."""
    view = view_output(name)
    return view[0] if view else split_model_output(name)[1]


def vocabulary(extra_outputs: Set[str] = frozenset()) -> List[str]:
    """Every name a loss may ask for (with ``extra_outputs`` declared as taps)."""
    outputs = set(MODEL_OUTPUTS) | set(extra_outputs)
    views = [f'logits{suffix}_{view}' for view in VIEWS for suffix in MODEL_SUFFIXES]
    return (sorted(BATCH_INPUTS) + sorted(views) + sorted(f'{base}{suffix}'
                                                          for base in outputs
                                                          for suffix in MODEL_SUFFIXES))


def check_requested(loss_name: str, loss: nn.Module, requested: Sequence[str],
                    extra_outputs: Set[str]) -> None:
    """Raise a ValueError naming the loss, the closest valid names and the vocabulary
    for an input that no component provides."""
    known_outputs = set(MODEL_OUTPUTS) | extra_outputs
    for name in requested:
        base, owner = split_model_output(name)
        if name in BATCH_INPUTS or view_output(name) or (owner and base in known_outputs):
            continue
        names = vocabulary(extra_outputs)
        raise ValueError(
            f'{loss_name} ({type(loss).__name__}) asks for {name!r}, which is not in '
            f'the loss vocabulary{closest(name, names)}: {", ".join(names)}. Rename the '
            'forward argument, bind it to a known name in the config (inputs=dict('
            f"{name}='...')), or declare a tap for a new model output, e.g. "
            "student_taps=dict(my_feature='backbone.layer3') gives 'my_feature_s'.")


def closest(word: str, choices: Sequence[str]) -> str:
    """``' (closest: 'x')'`` for the nearest of ``choices`` (difflib), or ``''``."""
    import difflib
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (closest: {match[0]!r})' if match else ''


# ------------------------------------------------------------- the core batch inputs
def batch_target(data_samples: Sequence) -> torch.Tensor:
    """Labels as MMPretrain's heads read them: stacked soft scores, else hard labels."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([sample.gt_score for sample in data_samples])
    return torch.cat([sample.gt_label for sample in data_samples])


def batch_sample_idx(data_samples: Sequence, device: torch.device) -> torch.Tensor:
    indices = [sample.sample_idx for sample in data_samples]
    return torch.as_tensor(indices, dtype=torch.long).to(device, non_blocking=True)


def batch_metainfo(data_samples: Sequence, key: str, device: torch.device,
                   hint: str) -> torch.Tensor:
    """Stack the int64 array ``key`` of every data sample's metainfo; a ValueError
    with ``hint`` (what to configure) when a sample has none."""
    missing = [i for i, sample in enumerate(data_samples) if key not in sample]
    if missing:
        raise ValueError(f'A loss asks for {key}, but the data samples carry none: '
                         f'{hint}')
    values = np.stack([np.asarray(sample.get(key)) for sample in data_samples])
    return torch.from_numpy(values.astype(np.int64)).to(device, non_blocking=True)


register_batch_input('target',
                     '(B,) int64 class labels, or (B, C) soft scores after Mixup/CutMix',
                     lambda inputs, samples: batch_target(samples), __name__)
register_batch_input('epoch', 'int, the current epoch, 0-based as MMEngine counts',
                     lambda inputs, samples: current_epoch(), __name__)
register_batch_input('sample_idx', '(B,) int64 dataset indices of the samples',
                     lambda inputs, samples: batch_sample_idx(samples, inputs.device),
                     __name__)
register_batch_input('inputs', 'the normalised image batch (B, 3, H, W)',
                     lambda inputs, samples: inputs, __name__)
