"""What the checkpoint converters share: config lookup, the model's layout, the check of
a source state dict against it, filling and saving the converted state dict (the
command line is ``tools/model_converters/converter_cli.py``).

The converters themselves (:mod:`.cifar_checkpoint`, :mod:`.torchvision_checkpoint`)
only know their architectures and how source names map onto MMPretrain's.
"""
from collections import OrderedDict
from pathlib import Path
from typing import (
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.version import __version__

Shape = Tuple[int, ...]
Mismatches = Tuple[List[str], List[str], List[str]]
_T = TypeVar('_T')

_EXAMPLES = 4


class CheckpointLayoutError(ValueError):
    """The checkpoint does not have the layout of the requested architecture."""


def config_name(family: str, arch: str) -> str:
    """``configs/_base_/models/<family>/<arch>.py``, as named in messages and meta."""
    return f'configs/_base_/models/{family}/{arch}.py'


def find_config_file(family: str, arch: str) -> Path:
    """Path of ``configs/_base_/models/<family>/<arch>.py``.

    Looked up in the package data of an installed kd_plugin (``kd_plugin/.mim``) and
    in the source tree.
    """
    package = Path(__file__).resolve().parents[2]
    relative = Path('_base_', 'models', family, f'{arch}.py')
    candidates = (package / '.mim' / 'configs' / relative,
                  package.parent / 'configs' / relative)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f'no config for {arch!r}; looked at: ' +
                            ', '.join(str(path) for path in candidates))


def model_layout(config_file: Path) -> Dict[str, Tuple[Shape, torch.dtype]]:
    """Name -> (shape, dtype) of the state dict of the model of ``config_file``."""
    model = MODELS.build(Config.fromfile(config_file).model)
    return {
        name: (tuple(value.shape), value.dtype)
        for name, value in model.state_dict().items()
    }


def examples(names: Iterable[str]) -> str:
    """The first few of the sorted ``names`` and, if there are more, their number."""
    names = sorted(names)
    shown = ', '.join(names[:_EXAMPLES])
    return shown + (f', ... ({len(names)} in all)' if len(names) > _EXAMPLES else '')


def strip_data_parallel(state_dict: Mapping[str, _T]) -> Mapping[str, _T]:
    """``state_dict`` without a ``module.`` prefix (DataParallel / DDP) on every name."""
    if state_dict and all(key.startswith('module.') for key in state_dict):
        return {key[len('module.'):]: value for key, value in state_dict.items()}
    return state_dict


def find_mismatches(state_dict: Mapping[str, Tensor], shapes: Mapping[str, Shape],
                    map_key: Callable[[str], str],
                    original_key: Callable[[str], str]) -> Mismatches:
    """Source names the model needs but ``state_dict`` lacks (``num_batches_tracked``
    aside), source names the model does not have, and shape mismatches.

    Args:
        state_dict: Source names to tensors.
        shapes: The model's names to shapes.
        map_key: Source name -> model name.
        original_key: Model name -> source name.
    """
    mapped = {map_key(key): key for key in state_dict}
    missing = [
        original_key(name) for name in shapes
        if name not in mapped and not name.endswith('.num_batches_tracked')
    ]
    unexpected = [key for name, key in mapped.items() if name not in shapes]
    mismatched = [
        f'{key} {tuple(state_dict[key].shape)} (model: {shapes[name]})'
        for name, key in mapped.items()
        if name in shapes and tuple(state_dict[key].shape) != shapes[name]
    ]
    return missing, unexpected, mismatched


def check_fits(state_dict: Mapping[str, Tensor], arch: str, family: str, names_as: str,
               mismatches: Callable[[Mapping[str, Tensor], str], Mismatches],
               matching_archs: Callable[[Mapping[str, Tensor]],
                                        List[str]], all_archs: Sequence[str]) -> None:
    """Raise :class:`CheckpointLayoutError` if ``state_dict`` does not fit ``arch``.

    The message lists examples of the missing names, the names the model does not
    have and the shape mismatches (as found by ``mismatches``; names as in the
    ``names_as`` model), and the architectures that do fit (``matching_archs``), if any.
    """
    missing, unexpected, shapes = mismatches(state_dict, arch)
    if not (missing or unexpected or shapes):
        return
    lines = [
        f'the checkpoint does not fit arch {arch!r} '
        f'({config_name(family, arch)}); names as in the {names_as} model:'
    ]
    if missing:
        lines.append(f'  {len(missing)} names the model expects are missing: '
                     f'{examples(missing)}')
    if unexpected:
        lines.append(f'  {len(unexpected)} checkpoint names the model does not have: '
                     f'{examples(unexpected)}')
    if shapes:
        lines.append(f'  {len(shapes)} shape mismatches: {examples(shapes)}')
    fits = matching_archs(state_dict)
    lines.append('  archs that fit this checkpoint: ' +
                 (', '.join(fits) if fits else 'none of ' + ', '.join(all_archs)))
    raise CheckpointLayoutError('\n'.join(lines))


def fill_layout(
        mapped: Mapping[str, Tensor],
        layout: Mapping[str, Tuple[Shape, torch.dtype]]) -> 'OrderedDict[str, Tensor]':
    """The ``mapped`` tensors (model names) in the order of ``layout``; zeros of the
    layout's shape and dtype (``num_batches_tracked``) for names ``mapped`` lacks."""
    converted = OrderedDict()
    for name, (shape, dtype) in layout.items():
        converted[name] = mapped[name] if name in mapped else torch.zeros(
            shape, dtype=dtype)
    return converted


def require_dict(value: object, path: Union[str, Path]) -> None:
    """Raise :class:`CheckpointLayoutError` unless ``value`` is a dict."""
    if not isinstance(value, dict):
        raise CheckpointLayoutError(
            f'{path}: expected a dict, got {type(value).__name__}.')


def require_tensors(state_dict: Mapping[str, object], path: Union[str, Path],
                    accepted: str) -> None:
    """Raise :class:`CheckpointLayoutError` if an entry of ``state_dict`` is not a tensor;
    the message says that ``path`` is neither of the ``accepted`` layouts."""
    not_tensors = [
        key for key, value in state_dict.items() if not isinstance(value, Tensor)
    ]
    if not_tensors:
        raise CheckpointLayoutError(
            f'{path}: neither {accepted}; entries that are not tensors: '
            f'{examples(map(str, not_tensors))}')


def save_converted(converted: Mapping[str, Tensor],
                   src: Union[str, Path],
                   dst: Union[str, Path],
                   arch: str,
                   family: str,
                   tool: str,
                   meta: Mapping[str, str] = ()) -> None:
    """Write ``{'state_dict': converted, 'meta': {...}}`` (tensors and plain strings) to
    ``dst``; ``meta`` is extended by the arch, its config, the source file name and the
    converter ``tool``."""
    meta = dict(meta)
    meta.update(
        arch=arch,
        config=config_name(family, arch),
        source=Path(src).name,
        converter=f'kd_plugin {__version__} {tool}')
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': converted, 'meta': meta}, dst)
