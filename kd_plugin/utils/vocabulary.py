"""The inputs a distillation loss can ask for by naming them in ``forward``.

Two kinds of names exist:

* model outputs, suffixed ``_s`` (student) or ``_t`` (teacher): recorded with forward
  hooks (:mod:`.taps`) during the one forward pass of each model. A config may declare
  further taps (``student_taps=dict(attn='backbone.layers.11.attn')``), which adds the
  names ``attn_s`` / ``attn_t``.
* batch inputs, the same for both models (``target``, ``epoch``, ...).

The table is the single source of ``docs/loss_api.md``'s vocabulary.
"""
import inspect
from typing import Callable, Dict, List, NamedTuple, Sequence, Set, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

MODEL_OUTPUTS: Dict[str, str] = {
    'logits': '(B, C) raw logits',
    'feats': 'tuple of stage feature maps (B, C_i, H_i, W_i), post-activation, '
             'shallow to deep',
    'preact_feats': 'the same stages taken before the last ReLU of each stage',
    'pooled': '(B, D) penultimate vector, the input of the classifier\'s linear layer',
    'classifier': 'the nn.Linear classifier module (the teacher\'s is frozen)',
    'feature_map': '(B, D, H, W) the last feature map, the one the head pools (by default '
                   'the input of the neck; a tuple there means its last element)',
}



def current_epoch() -> int:
    """The runner's 0-based epoch (RuntimeInfoHook keeps it in the message hub)."""
    return MessageHub.get_current_instance().get_info('epoch') or 0


class BatchInput(NamedTuple):
    description: str
    getter: Callable[[torch.Tensor, Sequence], object]


BATCH_INPUTS: Dict[str, BatchInput] = {
    'target': BatchInput(
        '(B,) int64 class labels, or (B, C) soft scores after Mixup/CutMix',
        lambda inputs, samples: batch_target(samples)),
    'epoch': BatchInput(
        'int, the current epoch, 0-based as MMEngine counts',
        lambda inputs, samples: current_epoch()),
    'sample_idx': BatchInput(
        '(B,) int64 dataset indices of the samples',
        lambda inputs, samples: batch_sample_idx(samples, inputs.device)),
    'inputs': BatchInput(
        'the normalised image batch (B, 3, H, W)',
        lambda inputs, samples: inputs),
    'contrast_idx': BatchInput(
        '(B, K+1) int64 dataset indices to contrast each sample with (CRD): the '
        'positive first, then K negatives; the training set must be wrapped in '
        'ContrastiveIndexDataset',
        lambda inputs, samples: batch_contrast_idx(samples, inputs.device)),
}

# Logits of the models on another batch than the step's main one: (role, batch).
VIEW_OUTPUTS: Dict[str, Tuple[str, str]] = {
    'logits_s_strong': ('student', 'strong'),
    'logits_t_strong': ('teacher', 'strong'),
    'logits_s_aux': ('student', 'aux'),
    'logits_t_aux': ('teacher', 'aux'),
}
VIEW_DESCRIPTIONS = {
    'strong': '(B, C) logits of the second (strongly augmented) view of the same '
              'images; the pipeline must give two views (MultiView transform and '
              'MultiViewClsDataPreprocessor)',
    'aux': "(B', C) logits of the auxiliary batch built by the distiller's `aux_batch` "
           "module from this step's inputs (e.g. HE-DA's CutMix of high-energy images)",
}

MODEL_SUFFIXES = {'_s': 'student', '_t': 'teacher'}


def forward_argument_names(loss: nn.Module) -> List[str]:
    """Names of ``loss.forward``'s parameters; ``*args``/``**kwargs`` are refused.

    A wrapper whose inputs depend on the loss it wraps declares them instead, as a
    sequence attribute ``input_names``, and takes them as keyword arguments.
    """
    declared = getattr(loss, 'input_names', None)
    if declared is not None:
        return list(declared)
    parameters = inspect.signature(loss.forward).parameters.values()
    variadic = [p.name for p in parameters
                if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if variadic:
        raise TypeError(
            f'{type(loss).__name__}.forward takes {variadic}: a distillation loss must '
            'name each input it needs (the distiller computes only what is named).')
    return [p.name for p in parameters]


def split_model_output(name: str) -> Tuple[str, str]:
    """``'feats_s'`` -> ``('feats', 'student')``; other names -> ``('', '')``."""
    for suffix, owner in MODEL_SUFFIXES.items():
        if name.endswith(suffix):
            return name[:-len(suffix)], owner
    return '', ''


def input_owner(name: str) -> str:
    """'student' / 'teacher' for inputs computed by a model, '' for batch inputs."""
    return VIEW_OUTPUTS[name][0] if name in VIEW_OUTPUTS else split_model_output(name)[1]


def check_requested(loss_name: str, loss: nn.Module, requested: Sequence[str],
                    extra_outputs: Set[str]) -> None:
    """Raise a ValueError naming the loss and the vocabulary for an unknown input."""
    known_outputs = set(MODEL_OUTPUTS) | extra_outputs
    for name in requested:
        base, owner = split_model_output(name)
        if name in BATCH_INPUTS or name in VIEW_OUTPUTS or (owner and base in known_outputs):
            continue
        vocabulary = sorted(BATCH_INPUTS) + sorted(VIEW_OUTPUTS) + sorted(
            f'{base}{suffix}' for base in known_outputs for suffix in MODEL_SUFFIXES)
        raise ValueError(
            f'{loss_name} ({type(loss).__name__}) asks for {name!r}, which is not in '
            f'the loss vocabulary: {", ".join(vocabulary)}. Rename the forward argument, '
            'or declare a tap for a new model output, e.g. '
            "student_taps=dict(my_feature='backbone.layer3') gives 'my_feature_s'.")


def batch_target(data_samples: Sequence) -> torch.Tensor:
    """Labels as MMPretrain's heads read them: stacked soft scores, else hard labels."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([sample.gt_score for sample in data_samples])
    return torch.cat([sample.gt_label for sample in data_samples])


def batch_sample_idx(data_samples: Sequence, device: torch.device) -> torch.Tensor:
    indices = [sample.sample_idx for sample in data_samples]
    return torch.as_tensor(indices, dtype=torch.long).to(device, non_blocking=True)


def batch_contrast_idx(data_samples: Sequence, device: torch.device) -> torch.Tensor:
    """Stack the samples' ``contrast_idx`` metainfo (ContrastiveIndexDataset)."""
    missing = [i for i, sample in enumerate(data_samples) if 'contrast_idx' not in sample]
    if missing:
        raise ValueError(
            'A loss asks for contrast_idx, but the data samples carry none: wrap the '
            'training dataset in ContrastiveIndexDataset, e.g. train_dataloader = dict('
            "dataset=dict(type='ContrastiveIndexDataset', dataset=<your dataset>, "
            'num_negatives=16384)).')
    indices = np.stack([np.asarray(sample.contrast_idx) for sample in data_samples])
    return torch.from_numpy(indices.astype(np.int64)).to(device, non_blocking=True)
