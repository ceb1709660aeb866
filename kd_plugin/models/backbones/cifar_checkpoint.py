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
from typing import Dict, Iterable, List, Mapping, Tuple, Union

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from torch import Tensor

from ...version import __version__

# Classifier prefix of the original model, per architecture.
_HEADS = {
    **{f'resnet{depth}': 'fc.' for depth in (8, 14, 20, 32, 44, 56, 110)},
    'resnet8x4': 'fc.',
    'resnet32x4': 'fc.',
    **{name: 'fc.' for name in ('wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'wrn_40_2')},
    **{f'vgg{depth}': 'classifier.' for depth in (8, 11, 13, 16, 19)},
    'MobileNetV2': 'classifier.0.',
    'ShuffleV1': 'linear.',
    'ShuffleV2': 'linear.',
    'ResNet50': 'linear.',
}
# Module renames inside the backbone (original name -> name in this package).
_RENAMES = {'ResNet50': {'shortcut': 'downsample'}}

#: Architecture names (mdistiller's ``cifar_model_dict`` keys) that have a config.
CIFAR_ARCHS: Tuple[str, ...] = tuple(_HEADS)

_PLAIN_META = ('epoch', 'accuracy', 'best_acc')
_EXAMPLES = 4


class CheckpointLayoutError(ValueError):
    """The checkpoint does not have the layout of the requested architecture."""


def cifar_config_file(arch: str) -> Path:
    """Path of ``configs/_base_/models/cifar/<arch>.py``.

    Looked up in the package data of an installed kd_plugin (``kd_plugin/.mim``) and
    in the source tree.
    """
    if arch not in _HEADS:
        raise ValueError(f'unknown CIFAR architecture {arch!r}; known: {", ".join(CIFAR_ARCHS)}')
    package = Path(__file__).resolve().parents[2]
    relative = Path('_base_', 'models', 'cifar', f'{arch}.py')
    candidates = (package / '.mim' / 'configs' / relative, package.parent / 'configs' / relative)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f'no config for {arch!r}; looked at: '
                            + ', '.join(str(path) for path in candidates))


@functools.lru_cache(maxsize=None)
def expected_layout(arch: str) -> Dict[str, Tuple[Tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of the state dict of the ``arch`` config's model."""
    model = MODELS.build(Config.fromfile(cifar_config_file(arch)).model)
    return {
        name: (tuple(value.shape), value.dtype)
        for name, value in model.state_dict().items()
    }


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
    return '.'.join(inverse.get(part, part) for part in name[len('backbone.'):].split('.'))


def _examples(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ', '.join(names[:_EXAMPLES])
    return shown + (f', ... ({len(names)} in all)' if len(names) > _EXAMPLES else '')


def _mismatches(state_dict: Mapping[str, Tensor],
                arch: str) -> Tuple[List[str], List[str], List[str]]:
    """Names missing from ``state_dict``, names ``arch`` lacks, shape mismatches.

    All three lists use the original names.
    """
    layout = expected_layout(arch)
    mapped = {map_key(key, arch): key for key in state_dict}
    missing = [
        original_key(name, arch) for name in layout
        if name not in mapped and not name.endswith('.num_batches_tracked')
    ]
    unexpected = [key for name, key in mapped.items() if name not in layout]
    shapes = [
        f'{key} {tuple(state_dict[key].shape)} (model: {layout[name][0]})'
        for name, key in mapped.items()
        if name in layout and tuple(state_dict[key].shape) != layout[name][0]
    ]
    return missing, unexpected, shapes


def matching_archs(state_dict: Mapping[str, Tensor]) -> List[str]:
    """Architectures whose model the original ``state_dict`` converts into exactly.

    Only the architectures whose classifier name occurs are built and compared.
    """
    return [
        arch for arch in CIFAR_ARCHS
        if f'{_HEADS[arch]}weight' in state_dict and not any(_mismatches(state_dict, arch))
    ]


def convert_state_dict(state_dict: Mapping[str, Tensor], arch: str) -> 'OrderedDict[str, Tensor]':
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
    if state_dict and all(key.startswith('module.') for key in state_dict):
        state_dict = {key[len('module.'):]: value for key, value in state_dict.items()}
    layout = expected_layout(arch)
    missing, unexpected, shapes = _mismatches(state_dict, arch)
    if missing or unexpected or shapes:
        lines = [f'the checkpoint does not fit arch {arch!r} '
                 f'(configs/_base_/models/cifar/{arch}.py); names as in the original model:']
        if missing:
            lines.append(f'  {len(missing)} names the model expects are missing: '
                         f'{_examples(missing)}')
        if unexpected:
            lines.append(f'  {len(unexpected)} checkpoint names the model does not have: '
                         f'{_examples(unexpected)}')
        if shapes:
            lines.append(f'  {len(shapes)} shape mismatches: {_examples(shapes)}')
        fits = matching_archs(state_dict)
        lines.append('  archs that fit this checkpoint: '
                     + (', '.join(fits) if fits else 'none of ' + ', '.join(CIFAR_ARCHS)))
        raise CheckpointLayoutError('\n'.join(lines))

    mapped = {map_key(key, arch): value for key, value in state_dict.items()}
    converted = OrderedDict()
    for name, (shape, dtype) in layout.items():
        converted[name] = mapped[name] if name in mapped else torch.zeros(shape, dtype=dtype)
    return converted


def load_original_checkpoint(path: Union[str, Path]) -> Tuple[Dict[str, Tensor], Dict[str, str]]:
    """Read an original checkpoint: ``{'model': state_dict, ...}`` or a raw state dict.

    Loads with ``weights_only=True``. Returns the state dict and, as plain strings,
    the scalar ``epoch`` / ``accuracy`` / ``best_acc`` entries found beside ``model``.
    """
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(checkpoint, dict):
        raise CheckpointLayoutError(f'{path}: expected a dict, got {type(checkpoint).__name__}.')
    if isinstance(checkpoint.get('model'), dict):
        state_dict, extras = checkpoint['model'], checkpoint
    elif 'state_dict' in checkpoint:
        raise CheckpointLayoutError(
            f"{path}: has 'state_dict', not 'model': already an MMPretrain checkpoint?")
    else:
        state_dict, extras = checkpoint, {}
    not_tensors = [key for key, value in state_dict.items() if not isinstance(value, Tensor)]
    if not_tensors:
        raise CheckpointLayoutError(
            f"{path}: neither {{'model': state_dict}} nor a raw state dict; entries that are "
            f'not tensors: {_examples(map(str, not_tensors))}')
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
    meta.update(
        arch=arch,
        config=f'configs/_base_/models/cifar/{arch}.py',
        source=Path(src).name,
        converter=f'kd_plugin {__version__} mdistiller_to_mmpretrain')
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': converted, 'meta': meta}, dst)
    return converted
