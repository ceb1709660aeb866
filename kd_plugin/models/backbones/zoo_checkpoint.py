"""Convert the checkpoints of two more model families into MMPretrain checkpoints:

* ``tinyimagenet``: Tiny-ImageNet models (200 classes) of mdistiller's KD+DOT runs (the
  ``ResNet18`` teacher ``ti_res18``, its ``MobileNetV2`` / ``ShuffleV2`` students) and of
  ER-KD's (the CRD zoo's ``resnet32x4`` / ``resnet8x4``);
* ``tfkd``: Tf-KD's CIFAR-100 models (``ResNet18``, ``MobileNetV2``, ``ShuffleNetV2``),
  e.g. the pre-trained students its self-teacher runs distil from.

The backbones keep the original module names, so a checkpoint converts by a prefix
rename (``backbone.``; ResNet18's ``shortcut`` becomes MMPretrain's ``downsample``), its
classifier becoming ``head.fc`` (the MobileNetV2's 1x1 conv ``conv2`` is reshaped into
the Linear it computes). The target is the model of
``configs/_base_/models/<family>/<arch>.py``; the converted state dict is checked against
it (names and shapes), so it loads with ``strict=True``. Sources are
``{'model': state_dict, ...}`` (mdistiller, ER-KD), ``{'state_dict': ..., 'epoch': ...,
'optim_dict': ...}`` (Tf-KD's ``utils.save_checkpoint``) or a raw state dict, with or
without DataParallel's ``module.`` prefix.
"""
import functools
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Tuple, Union

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


class SourceLayout(NamedTuple):
    """Classifier prefix of the original model, module renames inside its backbone, and
    whether its classifier is a 1x1 conv."""
    head: str
    renames: Dict[str, str] = {}
    conv_head: bool = False


_RESNET18 = SourceLayout('linear.', {'shortcut': 'downsample'})
_MOBILENET_V2 = SourceLayout('conv2.', conv_head=True)

#: Architectures of each family (the names of their model config files).
FAMILIES: Dict[str, Dict[str, SourceLayout]] = {
    'tinyimagenet': {
        'ResNet18': _RESNET18,
        'MobileNetV2': _MOBILENET_V2,
        'ShuffleV2': SourceLayout('linear.'),
        'resnet32x4': SourceLayout('fc.'),
        'resnet8x4': SourceLayout('fc.'),
    },
    'tfkd': {
        'ResNet18': _RESNET18,
        'MobileNetV2': _MOBILENET_V2,
        'ShuffleNetV2': SourceLayout('fc.'),
    },
}
_PLAIN_META = ('epoch', 'accuracy', 'best_acc')


def _layout(family: str, arch: str) -> SourceLayout:
    if family not in FAMILIES:
        raise ValueError(f'unknown family {family!r}; known: {", ".join(FAMILIES)}')
    if arch not in FAMILIES[family]:
        raise ValueError(f'unknown {family} architecture {arch!r}; known: '
                         f'{", ".join(FAMILIES[family])}')
    return FAMILIES[family][arch]


@functools.lru_cache(maxsize=None)
def expected_layout(family: str,
                    arch: str) -> Dict[str, Tuple[Tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of the state dict of the ``arch`` config's model."""
    _layout(family, arch)
    return model_layout(find_config_file(family, arch))


def map_key(key: str, family: str, arch: str) -> str:
    """MMPretrain name of the original parameter or buffer ``key``."""
    layout = _layout(family, arch)
    if key.startswith(layout.head):
        return 'head.fc.' + key[len(layout.head):]
    return 'backbone.' + '.'.join(
        layout.renames.get(part, part) for part in key.split('.'))


def original_key(name: str, family: str, arch: str) -> str:
    """Inverse of :func:`map_key`."""
    layout = _layout(family, arch)
    if name.startswith('head.fc.'):
        return layout.head + name[len('head.fc.'):]
    inverse = {new: old for old, new in layout.renames.items()}
    return '.'.join(
        inverse.get(part, part) for part in name[len('backbone.'):].split('.'))


def _linear_head(state_dict: Mapping[str, Tensor], layout: SourceLayout) -> dict:
    """The state dict with a 1x1-conv classifier's weight flattened to a Linear's."""
    weight = layout.head + 'weight'
    state_dict = dict(state_dict)
    value = state_dict.get(weight)
    if layout.conv_head and value is not None and value.dim() == 4 and \
            value.shape[2:] == (1, 1):
        state_dict[weight] = value.flatten(1)
    return state_dict


def _mismatches(state_dict: Mapping[str, Tensor], arch: str, family: str) -> Mismatches:
    shapes = {name: shape for name, (shape, _) in expected_layout(family, arch).items()}
    return find_mismatches(
        _linear_head(state_dict, _layout(family, arch)), shapes,
        functools.partial(map_key, family=family, arch=arch),
        functools.partial(original_key, family=family, arch=arch))


def matching_archs(state_dict: Mapping[str, Tensor], family: str) -> List[str]:
    """Architectures of ``family`` whose model the original ``state_dict`` converts
    into exactly."""
    return [
        arch for arch, layout in FAMILIES[family].items()
        if f'{layout.head}weight' in state_dict
        and not any(_mismatches(state_dict, arch, family))
    ]


def convert_state_dict(state_dict: Mapping[str, Tensor], family: str,
                       arch: str) -> 'Dict[str, Tensor]':
    """Map an original state dict onto the MMPretrain model of ``family``/``arch``.

    Returns the state dict in the model's own order, with zero ``num_batches_tracked``
    where the original had none. Raises :class:`CheckpointLayoutError` (examples of the
    missing, unexpected and mismatched names, and the architectures that do fit) if it
    does not fit.
    """
    state_dict = strip_data_parallel(state_dict)
    check_fits(state_dict, arch, family, 'original',
               functools.partial(_mismatches, family=family),
               functools.partial(matching_archs, family=family), list(FAMILIES[family]))
    state_dict = _linear_head(state_dict, _layout(family, arch))
    return fill_layout(
        {
            map_key(key, family, arch): value
            for key, value in state_dict.items()
        }, expected_layout(family, arch))


def load_original_checkpoint(
        path: Union[str, Path]) -> Tuple[Dict[str, Tensor], Dict[str, str]]:
    """Read ``{'model': ...}``, Tf-KD's ``{'state_dict': ...}`` or a raw state dict
    (``weights_only`` loading); return it and the plain ``epoch`` / ``accuracy`` /
    ``best_acc`` entries beside it, as strings."""
    checkpoint = safe_load(str(path), map_location='cpu')
    require_dict(checkpoint, path)
    state_dict, extras = checkpoint, {}
    for key in ('model', 'state_dict'):
        if isinstance(checkpoint.get(key), dict):
            state_dict, extras = checkpoint[key], checkpoint
            break
    require_tensors(state_dict, path,
                    "{'model': state_dict}, {'state_dict': ...} nor a raw state dict")
    meta = {}
    for key in _PLAIN_META:
        value = extras.get(key)
        if isinstance(value, Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, (int, float)):
            meta[key] = str(value)
    return state_dict, meta


def convert_checkpoint(src: Union[str, Path], dst: Union[str, Path], arch: str,
                       family: str) -> 'Dict[str, Tensor]':
    """Convert the original checkpoint ``src`` of ``family``/``arch`` into ``dst``
    (``{'state_dict', 'meta'}``, tensors and plain strings: ``weights_only`` loadable,
    ``strict=True`` into the model of its config). Returns the converted state dict."""
    state_dict, meta = load_original_checkpoint(src)
    converted = convert_state_dict(state_dict, family, arch)
    save_converted(converted, src, dst, arch, family, f'{family}_to_mmpretrain', meta)
    return converted


__all__ = [
    'FAMILIES', 'CheckpointLayoutError', 'expected_layout', 'map_key', 'original_key',
    'matching_archs', 'convert_state_dict', 'load_original_checkpoint',
    'convert_checkpoint'
]
