"""Convert RepDistiller / mdistiller CIFAR checkpoints into MMPretrain checkpoints.

The CRD model zoo checkpoints (``cifar_teachers/<arch>_vanilla/ckpt_epoch_240.pth``
and the students trained by both repositories) hold ``{'model': state_dict, ...}``
with bare module names; ReviewKD's own teachers are a raw state dict. The backbones
of this package keep those module names, so the conversion is

* ``backbone.`` + name for every backbone entry (ResNet50 also renames its
  ``shortcut`` modules to MMPretrain's ``downsample``);
* the classifier (``fc``, ``classifier``, ``classifier.0`` or ``linear``, per family)
  becomes ``head.fc``;
* missing BatchNorm ``num_batches_tracked`` counters (checkpoints saved by PyTorch
  0.4) are filled with zeros.

The target is the model of ``configs/_base_/models/cifar/<arch>.py``; the converted
state dict is checked against it (names and shapes), so it loads with
``strict=True``.
"""
import functools
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Mapping, Tuple, Union

import torch
from torch import Tensor

from kd_plugin.utils.checkpoint import safe_load
from .checkpoint_layout import (
    CheckpointLayoutError,
    Mismatches,
    check_fits,
    fill_layout,
    find_config_file,
    find_mismatches,
    model_layout,
    require_dict,
    require_tensors,
    save_converted,
    strip_data_parallel,
)

__all__ = [
    'CIFAR_ARCHS', 'CheckpointLayoutError', 'cifar_config_file', 'expected_layout',
    'map_key', 'original_key', 'matching_archs', 'convert_state_dict',
    'load_original_checkpoint', 'convert_checkpoint'
]

# Classifier prefix of the original model, per architecture.
_HEADS = {
    **{
        f'resnet{depth}': 'fc.'
        for depth in (8, 14, 20, 32, 44, 56, 110)
    },
    'resnet8x4': 'fc.',
    'resnet32x4': 'fc.',
    **{
        name: 'fc.'
        for name in ('wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'wrn_40_2')
    },
    **{
        f'vgg{depth}': 'classifier.'
        for depth in (8, 11, 13, 16, 19)
    },
    'MobileNetV2': 'classifier.0.',
    'ShuffleV1': 'linear.',
    'ShuffleV2': 'linear.',
    'ResNet50': 'linear.',
}
# Module renames inside the backbone (original name -> name in this package).
_RENAMES = {'ResNet50': {'shortcut': 'downsample'}}

#: Architecture names (mdistiller's ``cifar_model_dict`` keys) that have a config.
CIFAR_ARCHS: Tuple[str, ...] = tuple(_HEADS)

_FAMILY = 'cifar'
_PLAIN_META = ('epoch', 'accuracy', 'best_acc')


def cifar_config_file(arch: str) -> Path:
    """Path of ``configs/_base_/models/cifar/<arch>.py``.

    Looked up in the package data of an installed kd_plugin (``kd_plugin/.mim``) and
    in the source tree.
    """
    if arch not in _HEADS:
        raise ValueError(
            f'unknown CIFAR architecture {arch!r}; known: {", ".join(CIFAR_ARCHS)}')
    return find_config_file(_FAMILY, arch)


@functools.lru_cache(maxsize=None)
def expected_layout(arch: str) -> Dict[str, Tuple[Tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of the state dict of the ``arch`` config's model."""
    return model_layout(cifar_config_file(arch))


def map_key(key: str, arch: str) -> str:
    """MMPretrain name of the original parameter or buffer ``key`` of ``arch``."""
    head = _HEADS[arch]
    if key.startswith(head):
        return 'head.fc.' + key[len(head):]
    renames = _RENAMES.get(arch, {})
    return 'backbone.' + '.'.join(renames.get(part, part) for part in key.split('.'))


def original_key(name: str, arch: str) -> str:
    """Inverse of :func:`map_key`: the original name of the MMPretrain ``name``."""
    if name.startswith('head.fc.'):
        return _HEADS[arch] + name[len('head.fc.'):]
    inverse = {new: old for old, new in _RENAMES.get(arch, {}).items()}
    return '.'.join(
        inverse.get(part, part) for part in name[len('backbone.'):].split('.'))


def _mismatches(state_dict: Mapping[str, Tensor], arch: str) -> Mismatches:
    """Names missing from ``state_dict``, names ``arch`` lacks, shape mismatches.

    All three lists use the original names.
    """
    shapes = {name: shape for name, (shape, _) in expected_layout(arch).items()}
    return find_mismatches(state_dict, shapes, functools.partial(map_key, arch=arch),
                           functools.partial(original_key, arch=arch))


def matching_archs(state_dict: Mapping[str, Tensor]) -> List[str]:
    """Architectures whose model the original ``state_dict`` converts into exactly.

    Only the architectures whose classifier name occurs are built and compared.
    """
    return [
        arch for arch in CIFAR_ARCHS if f'{_HEADS[arch]}weight' in state_dict
        and not any(_mismatches(state_dict, arch))
    ]


def convert_state_dict(state_dict: Mapping[str, Tensor],
                       arch: str) -> 'OrderedDict[str, Tensor]':
    """Map an original state dict of ``arch`` onto the MMPretrain model of its config.

    Args:
        state_dict: Bare original names (a uniform ``module.`` prefix, as written by
            ``DataParallel``, is removed) to tensors.
        arch: One of :data:`CIFAR_ARCHS`, e.g. ``'resnet32x4'``.

    Returns:
        The state dict in the model's own order, with zero ``num_batches_tracked``
        where the original had none.

    Raises:
        CheckpointLayoutError: names or shapes do not fit ``arch``; the message lists
            examples of each and the architectures that do fit, if any.
    """
    state_dict = strip_data_parallel(state_dict)
    layout = expected_layout(arch)
    check_fits(state_dict, arch, _FAMILY, 'original', _mismatches, matching_archs,
               CIFAR_ARCHS)
    return fill_layout({
        map_key(key, arch): value
        for key, value in state_dict.items()
    }, layout)


def load_original_checkpoint(
        path: Union[str, Path]) -> Tuple[Dict[str, Tensor], Dict[str, str]]:
    """Read an original checkpoint: ``{'model': state_dict, ...}`` or a raw state dict.

    Loads with ``weights_only=True`` (:func:`~kd_plugin.utils.checkpoint.safe_load`).
    Returns the state dict and, as plain strings, the scalar ``epoch`` / ``accuracy`` /
    ``best_acc`` entries found beside ``model``.
    """
    checkpoint = safe_load(str(path), map_location='cpu')
    require_dict(checkpoint, path)
    if isinstance(checkpoint.get('model'), dict):
        state_dict, extras = checkpoint['model'], checkpoint
    elif 'state_dict' in checkpoint:
        raise CheckpointLayoutError(
            f"{path}: has 'state_dict', not 'model': already an MMPretrain checkpoint?")
    else:
        state_dict, extras = checkpoint, {}
    require_tensors(state_dict, path, "{'model': state_dict} nor a raw state dict")
    meta = {}
    for key in _PLAIN_META:
        value = extras.get(key)
        if isinstance(value, Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            meta[key] = str(value)
    return state_dict, meta


def convert_checkpoint(src: Union[str, Path], dst: Union[str, Path],
                       arch: str) -> 'OrderedDict[str, Tensor]':
    """Convert the original checkpoint file ``src`` of ``arch`` and save it as ``dst``.

    ``dst`` holds ``{'state_dict': ..., 'meta': {...}}`` with tensors and plain strings
    only, loadable with ``weights_only=True`` and, into the model of the ``arch``
    config, with ``strict=True``. Returns the converted state dict.
    """
    state_dict, meta = load_original_checkpoint(src)
    converted = convert_state_dict(state_dict, arch)
    save_converted(converted, src, dst, arch, _FAMILY, 'mdistiller_to_mmpretrain', meta)
    return converted
