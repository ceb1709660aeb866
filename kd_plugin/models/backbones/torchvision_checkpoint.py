"""Convert ImageNet checkpoints (torchvision ResNet, mdistiller / ReviewKD MobileNetV1)
into MMPretrain checkpoints.

Supported source layouts (parameter and buffer names of the source model):

* ``resnet18`` / ``resnet34`` / ``resnet50``: torchvision's ``resnet18/34/50`` (any
  torchvision weights, e.g. ``resnet34-333f7ec4.pth`` and ``resnet50-19c8e357.pth``,
  the teachers of mdistiller's ImageNet pairs): ``conv1``, ``bn1``,
  ``layer{1-4}.{i}.{conv,bn}{1,2[,3]}``, ``layer{k}.0.downsample.{0,1}``, ``fc``.
  MMPretrain's ``ResNet`` (style 'pytorch') uses the same names.
* ``mobilenet_v1``: the MobileNetV1 of mdistiller
  (``mdistiller/models/imagenet/mobilenetv1.py``) and ReviewKD
  (``ImageNet/models/mobilenet.py``): ``model.0.{0,1}`` (stem conv, BN),
  ``model.{1-13}.{0,1,3,4}`` (depthwise conv, BN, pointwise conv, BN), ``fc``;
  :class:`~kd_plugin.models.backbones.MobileNetV1` uses the same names.

So the conversion is ``backbone.`` + name, and ``fc`` becomes ``head.fc``. The file
may hold the state dict itself (torchvision) or a dict with it under ``state_dict``,
``model`` or ``model_state_dict`` (training scripts such as pytorch/examples' ImageNet
script, which ReviewKD's follows, or mdistiller's); a ``module.`` prefix
(DataParallel / DDP) is removed. Missing BatchNorm ``num_batches_tracked`` counters
(weights saved before PyTorch 0.4.1) are filled with zeros.

The target is the model of ``configs/_base_/models/imagenet/<arch>.py``; the converted
state dict is checked against it (names and shapes), so it loads with ``strict=True``.
"""
import functools
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Mapping, Tuple, Union

import torch
from torch import Tensor

from kd_plugin.utils.checkpoint import extract_state_dict, safe_load
from .checkpoint_layout import (
    CheckpointLayoutError,
    Mismatches,
    check_fits,
    examples,
    fill_layout,
    find_config_file,
    find_mismatches,
    model_layout,
    require_dict,
    require_tensors,
    save_converted,
    strip_data_parallel,
)

#: Architectures that have a config in ``configs/_base_/models/imagenet/``.
IMAGENET_ARCHS: Tuple[str, ...] = ('resnet18', 'resnet34', 'resnet50', 'mobilenet_v1')

_FAMILY = 'imagenet'
_SOURCE_HEAD = 'fc.'


def imagenet_config_file(arch: str) -> Path:
    """Path of ``configs/_base_/models/imagenet/<arch>.py``.

    Looked up in the package data of an installed kd_plugin (``kd_plugin/.mim``) and
    in the source tree.
    """
    if arch not in IMAGENET_ARCHS:
        raise ValueError(f'unknown ImageNet architecture {arch!r}; known: ' +
                         ', '.join(IMAGENET_ARCHS))
    return find_config_file(_FAMILY, arch)


@functools.lru_cache(maxsize=None)
def expected_layout(arch: str) -> Dict[str, Tuple[int, ...]]:
    """Name -> shape of the state dict of the ``arch`` config's model."""
    return {
        name: shape
        for name, (shape, _) in model_layout(imagenet_config_file(arch)).items()
    }


def map_key(key: str) -> str:
    """MMPretrain name of the source parameter or buffer ``key``."""
    if key.startswith(_SOURCE_HEAD):
        return 'head.fc.' + key[len(_SOURCE_HEAD):]
    return 'backbone.' + key


def original_key(name: str) -> str:
    """Inverse of :func:`map_key`: the source name of the MMPretrain ``name``."""
    if name.startswith('head.fc.'):
        return _SOURCE_HEAD + name[len('head.fc.'):]
    return name[len('backbone.'):]


def _mismatches(state_dict: Mapping[str, Tensor], arch: str) -> Mismatches:
    """Source names the model needs but ``state_dict`` lacks, names the model does not
    have, and shape mismatches (all with source names)."""
    return find_mismatches(state_dict, expected_layout(arch), map_key, original_key)


def matching_archs(state_dict: Mapping[str, Tensor]) -> List[str]:
    """Architectures whose model the source ``state_dict`` converts into exactly."""
    return [arch for arch in IMAGENET_ARCHS if not any(_mismatches(state_dict, arch))]


def convert_state_dict(state_dict: Mapping[str, Tensor],
                       arch: str) -> 'OrderedDict[str, Tensor]':
    """Map a source state dict of ``arch`` onto the MMPretrain model of its config.

    Args:
        state_dict: Source names (see the module docstring; a uniform ``module.``
            prefix is removed) to tensors.
        arch: One of :data:`IMAGENET_ARCHS`.

    Returns:
        The state dict in the model's own order, with zero ``num_batches_tracked``
        where the source had none.

    Raises:
        CheckpointLayoutError: the names are already MMPretrain's, or names or shapes do
            not fit ``arch``; the message lists examples of each and the architectures
            that do fit, if any.
    """
    state_dict = strip_data_parallel(state_dict)
    converted_names = [
        key for key in state_dict if key.startswith(('backbone.', 'head.'))
    ]
    if converted_names:
        raise CheckpointLayoutError(
            f'the checkpoint has MMPretrain names ({examples(converted_names)}): it is '
            'already converted; load it directly.')
    check_fits(state_dict, arch, _FAMILY, 'source', _mismatches, matching_archs,
               IMAGENET_ARCHS)
    layout = {name: (shape, torch.long) for name, shape in expected_layout(arch).items()}
    return fill_layout({map_key(key): value for key, value in state_dict.items()}, layout)


def load_source_state_dict(path: Union[str, Path]) -> Dict[str, Tensor]:
    """Read the state dict of a source checkpoint file (``weights_only`` loading).

    Accepts the state dict itself or a dict holding it under ``state_dict``, ``model``
    or ``model_state_dict``.
    """
    state_dict = extract_state_dict(safe_load(str(path), map_location='cpu'))
    require_dict(state_dict, path)
    require_tensors(
        state_dict, path, 'a state dict nor a dict holding one under state_dict '
        '/ model / model_state_dict')
    return state_dict


def convert_checkpoint(src: Union[str, Path], dst: Union[str, Path],
                       arch: str) -> 'OrderedDict[str, Tensor]':
    """Convert the source checkpoint file ``src`` of ``arch`` and save it as ``dst``.

    ``dst`` holds ``{'state_dict': ..., 'meta': {...}}`` with tensors and plain strings
    only, loadable with ``weights_only=True`` and, into the model of the ``arch``
    config, with ``strict=True``. Returns the converted state dict.
    """
    converted = convert_state_dict(load_source_state_dict(src), arch)
    save_converted(converted, src, dst, arch, _FAMILY, 'torchvision_to_mmpretrain')
    return converted
