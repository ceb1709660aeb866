"""Export the student of a distiller training checkpoint as a plain MMPretrain checkpoint.

A distiller checkpoint holds ``student.*`` weights next to connectors and loss
parameters (``distill_losses.*``), memory banks, ``aux_batch`` buffers, perhaps the
teacher, the optimizer state and message-hub history. :func:`export_student` keeps the
student's tensors only, without the ``student.`` prefix, so the stock student config loads
the file with ``strict=True`` (``tools/test.py``, ``mmpretrain.apis``, ``load_from``).
The written file is tensors plus plain ``meta`` (strings, ints and the class names) and
loads with ``torch.load(weights_only=True)``.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import Config

from kd_plugin import models  # noqa: F401  (registers the distiller for a bare Config)
from kd_plugin.models.distillers.classification_distiller import model_config
from kd_plugin.utils.checkpoint import _preview, extract_state_dict, load_checkpoint

STUDENT_PREFIX = 'student.'
# A DDP- or otherwise wrapped distiller written without unwrapping.
OUTER_PREFIXES = ('', 'module.', 'architecture.')
PLAIN_META_KEYS = ('epoch', 'iter', 'seed', 'experiment_name', 'mmengine_version',
                   'mmpretrain_version', 'time')


class ExportError(ValueError):
    """The checkpoint or config cannot give a faithful student export."""


def _top_level_summary(keys: Sequence[str], limit: int = 8) -> str:
    counts: Dict[str, int] = {}
    for key in keys:
        head = key.split('.')[0]
        counts[head] = counts.get(head, 0) + 1
    parts = [f'{head}. ({n} keys)' for head, n in sorted(counts.items())[:limit]]
    if len(counts) > limit:
        parts.append(f'... (+{len(counts) - limit} more prefixes)')
    return ', '.join(parts) or 'no keys at all'


def split_student(state_dict: Dict[str, torch.Tensor],
                  source: str = 'the checkpoint') -> Dict[str, torch.Tensor]:
    """The ``student.*`` entries of a distiller state dict, prefix removed, as fresh
    contiguous CPU tensors (no shared storage with the dropped teacher/loss tensors)."""
    if not isinstance(state_dict, dict) or not state_dict:
        raise ExportError(f'{source} holds no state dict (found '
                          f'{type(state_dict).__name__}); expected a distiller training '
                          'checkpoint written by tools/train.py.')
    for outer in OUTER_PREFIXES:
        prefix = outer + STUDENT_PREFIX
        student = {
            k[len(prefix):]: v
            for k, v in state_dict.items() if k.startswith(prefix)
        }
        if student:
            break
    else:
        raise ExportError(
            f'{source} is not a distiller checkpoint: it has no "student." keys. Found '
            f'{_top_level_summary(list(state_dict))}. A plain classifier checkpoint '
            'needs no export; it already loads into its own config.')
    not_tensors = [k for k, v in student.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ExportError(f'{source}: student entries that are not tensors: '
                          f'{_preview(not_tensors)}')
    return {k: v.detach().to('cpu').clone().contiguous() for k, v in student.items()}


def _plain(value):
    """JSON-like copy of ``value`` (str/int/float/bool, lists and dicts of them), else
    None."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return None if any(i is None for i in items) and value else items
    if isinstance(value, dict):
        items = {str(k): _plain(v) for k, v in value.items()}
        return None if any(v is None for v in items.values()) and value else items
    item = getattr(value, 'item', None)  # numpy / torch scalars
    if callable(item) and getattr(value, 'ndim', 1) == 0:
        return _plain(item())
    return None


def export_meta(checkpoint, source: str) -> dict:
    """Plain-data meta of the export: provenance, epoch/iter and the dataset's classes."""
    from kd_plugin.version import __version__
    meta = {
        'exported_from': osp.basename(source),
        'exported_by': f'kd_plugin {__version__}',
        'note': 'student of a ClassificationDistiller; load with the student config'
    }
    old = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(old, dict):
        for key in PLAIN_META_KEYS:
            value = _plain(old.get(key))
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                meta[key] = value
        dataset_meta = _plain(old.get('dataset_meta'))
        if isinstance(dataset_meta, dict):
            # mmpretrain.apis.get_model / inferencers read the class names from here.
            meta['dataset_meta'] = dataset_meta
    return meta


def export_student(checkpoint_path: str,
                   out_path: str,
                   config: Union[str, Config, None] = None,
                   input_size: Optional[int] = None) -> dict:
    """Write the student of ``checkpoint_path`` to ``out_path``; verify it with
    ``config``.

    Returns the exported ``{'state_dict': ..., 'meta': ...}``.
    """
    checkpoint = load_checkpoint(checkpoint_path)
    state_dict = split_student(extract_state_dict(checkpoint), checkpoint_path)
    exported = {
        'state_dict': state_dict,
        'meta': export_meta(checkpoint, checkpoint_path)
    }
    if config is not None:
        verify_export(exported['state_dict'], config, checkpoint, input_size=input_size)
    out_dir = osp.dirname(osp.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(exported, out_path)
    return exported


# ----------------------------------------------------------------------- verification
def _as_config(config: Union[str, Config]) -> Config:
    return Config.fromfile(config) if isinstance(config, str) else config


def _find_size(node) -> Optional[int]:
    """The last image size named in a dataset/pipeline config (crop_size, scale ...)."""
    found = None
    if isinstance(node, dict):
        for key in ('image_size', 'scale', 'crop_size'):
            value = node.get(key)
            if isinstance(value, int) and value > 0:
                found = value
            elif (isinstance(value, (list, tuple)) and value
                  and all(isinstance(v, int) and v > 0 for v in value)):
                found = max(value)
        for value in node.values():
            if isinstance(value, (dict, list, tuple)):
                found = _find_size(value) or found
    elif isinstance(node, (list, tuple)):
        for value in node:
            found = _find_size(value) or found
    return found


def guess_input_size(cfg: Config) -> int:
    """Image side for the verification batch: from the test pipeline, else 32 for CIFAR
    data, else 224."""
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader') or {}
    dataset = loader.get('dataset', {}) if isinstance(loader, dict) else {}
    size = _find_size(dataset)
    if size:
        return size
    return 32 if 'cifar' in str(dataset.get('type', '')).lower() else 224


def _check_fit(model: nn.Module,
               state_dict: dict,
               what: str,
               ignore: Tuple[str, ...] = ()) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict and not k.startswith(ignore)]
    unexpected = [k for k in state_dict if k not in expected and not k.startswith(ignore)]
    wrong = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs config '
        f'{tuple(expected[k].shape)}' for k in expected
        if k in state_dict and state_dict[k].shape != expected[k].shape
    ]
    if missing or unexpected or wrong:
        raise ExportError(
            f'{what} does not match the config: {len(missing)} missing keys '
            f'[{_preview(missing)}]; {len(unexpected)} unexpected keys '
            f'[{_preview(unexpected)}]; {len(wrong)} shape mismatches '
            f'[{_preview(wrong, 3)}]. Pass the distiller config this checkpoint was '
            'trained with.')


def verify_export(student_state: Dict[str, torch.Tensor],
                  config: Union[str, Config],
                  checkpoint,
                  input_size: Optional[int] = None,
                  batch_size: int = 2,
                  in_channels: int = 3) -> None:
    """Build the stock student (``cfg.model.student``), load ``student_state`` strictly,
    and check it gives exactly the distiller's ``mode='tensor'`` outputs on a random
    batch.
    """
    from mmpretrain.registry import MODELS
    cfg = _as_config(config)
    model_cfg = cfg.model
    if model_cfg.get('type') != 'ClassificationDistiller' or 'student' not in model_cfg:
        raise ExportError(
            f'--config must be the distiller config (model.type='
            f'ClassificationDistiller), got model.type={model_cfg.get("type")!r}')

    distiller = MODELS.build(model_cfg)
    full_state = extract_state_dict(checkpoint)
    for outer in OUTER_PREFIXES[1:]:
        if not any(k.startswith(STUDENT_PREFIX) for k in full_state):
            full_state = {
                k[len(outer):]: v
                for k, v in full_state.items() if k.startswith(outer)
            } or full_state
    # The teacher is absent unless teacher_in_checkpoint; it does not take part in
    # mode='tensor' anyway.
    _check_fit(
        distiller, full_state, 'The training checkpoint', ignore=('teacher.', ))
    distiller.load_state_dict(full_state, strict=False)

    student = MODELS.build(model_config(model_cfg.student))
    _check_fit(student, student_state, 'The exported student')
    student.load_state_dict(student_state, strict=True)

    distiller.eval()
    student.eval()
    size = input_size or guess_input_size(cfg)
    generator = torch.Generator().manual_seed(0)
    batch = torch.randn(batch_size, in_channels, size, size, generator=generator)
    with torch.no_grad():
        expected = distiller(batch, mode='tensor')
        actual = student(batch, mode='tensor')
    for exp, act in zip(_tensors(expected), _tensors(actual)):
        if exp.shape != act.shape or not torch.equal(exp, act):
            diff = ((exp - act).abs().max().item() if exp.shape == act.shape else
                    f'shapes {tuple(exp.shape)} vs {tuple(act.shape)}')
            raise ExportError(f'The exported student does not predict as the distiller '
                              f'did (max abs difference {diff}).')


def _tensors(output) -> List[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, (list, tuple)):
        return [t for item in output for t in _tensors(item)]
    if isinstance(output, dict):
        return [t for key in sorted(output) for t in _tensors(output[key])]
    return []
