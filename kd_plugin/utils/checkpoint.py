"""Checkpoint loading that stays safe on torch >= 2.6 and works with MMEngine's runner.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``. On torch >= 2.6 that means
``weights_only=True``, and runner checkpoints (message hub buffers, numpy values in
``meta``) fail to load, so ``--resume`` and ``load_from`` break. Turning
``weights_only`` off would let any checkpoint run code on load. Instead, every load
goes through :func:`safe_load`: ``weights_only=True`` with an explicit allow-list of the
plain-data globals MMEngine itself writes. Anything else is refused with a message
that names the global.

Importing kd_plugin changes nothing in MMEngine. The safe loading is installed where the
project trains and tests: :func:`install_safe_checkpoint_loading` (called by the
``SafeCheckpointLoadingHook`` of the default runtime for the length of a run, and by
``tools/train.py`` / ``tools/test.py``), or :func:`safe_checkpoint_loading` as a context
manager. :func:`load_model_weights` (teacher and student checkpoints) always uses it.

Trusted legacy files: with the environment variable ``KD_PLUGIN_TRUSTED_CHECKPOINTS=1``,
a local file that fails the allow-list (e.g. an old checkpoint whose ``meta`` holds an
``argparse.Namespace``) is loaded with ``weights_only=False`` instead, with a warning
naming the file. That runs whatever code the pickle contains: set it only for files
you trust, and only for the run that needs it.
"""
import contextlib
import logging
import os
import os.path as osp
import pickle
import re
import uuid
import zipfile
from collections import Counter, OrderedDict
from typing import BinaryIO, Callable, Dict, Iterator, Optional, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from . import compat


def _numpy_globals() -> list:
    """The numpy functions/classes pickled with arrays and scalars (numpy 1.x and 2.x)."""
    multiarray = getattr(np, '_core', np.core).multiarray
    dtype_classes = [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUSOMm']
    return [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype, *dtype_classes
    ]


def _history_buffer_method(owner, name: str):
    """Stands in for ``builtins.getattr``, which pickle uses to refer to the statistic
    methods (``HistoryBuffer.min`` ...) that message-hub buffers hold. A general
    ``getattr`` would reach any attribute of any allowed object, so only these resolve.
    """
    if owner is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr on {owner!r}.{name}')


def allowed_globals() -> list:
    """Globals that runner checkpoints contain and that are plain data."""
    return [
        HistoryBuffer, OrderedDict, Counter, *_numpy_globals(),
        (_history_buffer_method, 'builtins.getattr')
    ]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint whose unpickling would import a global outside the allow-list."""


TRUSTED_ENV = 'KD_PLUGIN_TRUSTED_CHECKPOINTS'


def trusted_checkpoints() -> bool:
    """Whether the user opted in to unrestricted loading
    (``KD_PLUGIN_TRUSTED_CHECKPOINTS=1``)."""
    return os.environ.get(TRUSTED_ENV, '').strip() == '1'


def safe_load(filename: str, map_location=None):
    """``torch.load(weights_only=True)`` allowing MMEngine's plain-data globals.

    A file outside the allow-list raises :class:`UnsafeCheckpointError`, unless
    ``KD_PLUGIN_TRUSTED_CHECKPOINTS=1``: then it is loaded with ``weights_only=False``
    and a warning names the file.
    """
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r'GLOBAL ([\w.]+)', str(error))
        name = found.group(1) if found else 'an object outside the allow-list'
        if trusted_checkpoints():
            from mmengine.logging import print_log
            print_log(
                f'{TRUSTED_ENV}=1: loading {filename} with weights_only=False although '
                f'unpickling it imports {name}, outside the allow-list. This runs any '
                'code the file contains; do it only for files you trust.',
                logger='current',
                level=logging.WARNING)
            return torch.load(filename, map_location=map_location, weights_only=False)
        raise UnsafeCheckpointError(
            f'Refused to load {filename}: unpickling it would import {name}, which is '
            'not plain checkpoint data (tensors, numbers, strings, MMEngine message-hub '
            'buffers, numpy values). Loading it could execute code. If you trust the '
            f'file, set {TRUSTED_ENV}=1 for this run (it loads the file with '
            'weights_only=False, with a warning), or re-save its tensors as a plain '
            'state '
            "dict: torch.save(torch.load(path, weights_only=False)['state_dict'], "
            'new_path).') from error


def _load_from_local(filename: str, map_location=None):
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    return safe_load(filename, map_location)


_load_from_local.kd_plugin_safe = True


def _with_allow_list(loader: Callable) -> Callable:
    """Run a scheme's loader (its own ``torch.load`` call) under the allow-list."""

    def load(filename, map_location=None, **kwargs):
        with torch.serialization.safe_globals(allowed_globals()):
            return loader(filename, map_location, **kwargs)

    load.kd_plugin_safe = True
    return load


def install_safe_checkpoint_loading() -> Dict[str, Callable]:
    """Route MMEngine's local and HTTP(S) checkpoint loading through :func:`safe_load`'s
    allow-list (``runner.load_checkpoint``, ``--resume``, ``load_from``, ``Pretrained``
    init_cfgs). Returns the loaders it replaced, for
    :func:`restore_checkpoint_loading`. Idempotent.

    Importing kd_plugin does not call this: the project's runtime does, through
    :class:`~kd_plugin.engine.SafeCheckpointLoadingHook` (``default_hooks`` of
    ``configs/_base_/default_runtime.py``) and ``tools/train.py`` / ``tools/test.py``.
    """
    schemes = compat.checkpoint_schemes()
    previous = dict(schemes)
    if getattr(schemes.get(''), 'kd_plugin_safe', False):
        return previous
    remote = _with_allow_list(schemes['https://'])
    updated = dict(schemes, **{
        '': _load_from_local,
        'http://': remote,
        'https://': remote
    })
    compat.set_checkpoint_schemes(updated)
    return previous


def restore_checkpoint_loading(previous: Dict[str, Callable]) -> None:
    """Put back the loaders :func:`install_safe_checkpoint_loading` replaced."""
    compat.set_checkpoint_schemes(previous)


@contextlib.contextmanager
def safe_checkpoint_loading() -> Iterator[None]:
    """:func:`install_safe_checkpoint_loading` for the duration of a ``with`` block."""
    previous = install_safe_checkpoint_loading()
    try:
        yield
    finally:
        restore_checkpoint_loading(previous)


def load_checkpoint(filename: str, map_location: Optional[str] = 'cpu'):
    """A local or remote (``http(s)://``) checkpoint through MMEngine's loaders with the
    allow-list of :func:`safe_load` (whatever is installed process-wide)."""
    if '://' not in filename and not os.path.isfile(os.path.expanduser(filename)):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    with safe_checkpoint_loading():
        return CheckpointLoader.load_checkpoint(filename, map_location=map_location)


STATE_DICT_KEYS = ('state_dict', 'model', 'model_state_dict')
WRAPPER_PREFIXES = ('module.', 'student.', 'architecture.', 'teacher.')


def extract_state_dict(checkpoint) -> Dict[str, torch.Tensor]:
    """The tensors of a runner checkpoint, an mdistiller-style dict, or a state dict."""
    if isinstance(checkpoint, dict):
        for key in STATE_DICT_KEYS:
            if isinstance(checkpoint.get(key), dict):
                return checkpoint[key]
    return checkpoint


def _strip(state_dict: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def match_prefixes(state_dict: dict, model: nn.Module) -> dict:
    """Drop the wrapper prefixes (DDP ``module.``, a distiller's ``student.`` ...) that
    make the most checkpoint keys fit the model."""
    expected = set(model.state_dict())
    candidates = [state_dict]
    for _ in range(2):  # e.g. module.student.backbone...
        candidates += [_strip(c, p) for c in candidates for p in WRAPPER_PREFIXES]
    return max(candidates, key=lambda c: len(expected & set(c)))


def _preview(keys, limit: int = 5) -> str:
    keys = sorted(keys)
    more = f' ... (+{len(keys) - limit})' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_model_weights(model: nn.Module,
                       filename: str,
                       role: str,
                       map_location: Optional[str] = 'cpu') -> None:
    """Load ``filename`` into ``model`` strictly, or explain the mismatch.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the keys or shapes do not fit ``model``; names both sides.
    """
    checkpoint = load_checkpoint(filename, map_location)
    state_dict = match_prefixes(extract_state_dict(checkpoint), model)
    expected = model.state_dict()
    missing = set(expected) - set(state_dict)
    unexpected = set(state_dict) - set(expected)
    wrong_shape = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
        f'{tuple(expected[k].shape)}' for k in set(expected) & set(state_dict)
        if state_dict[k].shape != expected[k].shape
    ]
    if missing or unexpected or wrong_shape:
        raise ValueError(
            f'The {role} checkpoint {filename} does not fit the {role} model '
            f'({type(model).__name__}): {len(missing)} missing keys [{_preview(missing)}]'
            f'; {len(unexpected)} unexpected keys [{_preview(unexpected)}]'
            f'; {len(wrong_shape)} shape mismatches [{_preview(wrong_shape, 3)}]. Check '
            f'that the {role} config matches the checkpoint (architecture, num_classes). '
            'mdistiller/RepDistiller or torchvision files need converting first: '
            'tools/model_converters/.')
    model.load_state_dict(state_dict, strict=True)


def _fsync_folder(folder: str) -> None:
    """Persist the renames in ``folder`` (POSIX); a no-op where folders cannot be
    opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def temporary_file_pattern(names: str) -> re.Pattern:
    """The names of :func:`atomic_file`'s temporary files (``.NAME.PID.RANDOM.tmp``)
    for the file names matched by the regular expression ``names``: what an
    interrupted write leaves behind."""
    return re.compile(rf'^\.({names})\.\d+\.[0-9a-f]{{8}}\.tmp$')


@contextlib.contextmanager
def atomic_file(path: str) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through, so that ``path`` holds its old content
    or the complete new one, also after a kill or a power loss.

    The bytes go to a hidden temporary file next to ``path`` (``.NAME.PID.RANDOM.tmp``),
    are flushed and fsynced when the block ends, and the file is renamed over ``path``
    (``os.replace``); the folder is fsynced last. A failed write (full disk, an
    exception in the block) removes the temporary file.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder,
                   f'.{osp.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')
    try:
        with open(tmp, 'xb') as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def atomic_write(path: str, data: Union[bytes, str]) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_file`."""
    with atomic_file(path) as file:
        file.write(data.encode() if isinstance(data, str) else data)


def save_atomic(obj: object, path: str) -> None:
    """``torch.save(obj)`` to ``path`` through :func:`atomic_file`."""
    with atomic_file(path) as file:
        torch.save(obj, file)


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete checkpoint file, or None if it is.

    ``torch.save`` writes a zip archive whose members carry CRC-32 checksums: a
    truncated file has no central directory, a damaged one fails a checksum. Reading
    the archive this way unpickles nothing. A file in torch's pre-1.6 format (not a
    zip) is checked by loading it through :func:`safe_load`.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    with open(path, 'rb') as file:
        is_zip = file.read(4) == b'PK\x03\x04'
    if not is_zip:
        try:
            safe_load(path, map_location='cpu')
        except UnsafeCheckpointError:
            raise
        except Exception as error:  # any way an incomplete file fails to load
            return ('it is neither a zip archive (as torch.save writes) nor a '
                    f'loadable legacy checkpoint ({type(error).__name__}: {error})')
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f'the zip archive is truncated or damaged ({error})'
    if damaged is not None:
        return f'the member {damaged} fails its CRC-32 checksum'
    if not any(name.endswith('data.pkl') for name in names):
        return 'the archive holds no data.pkl (not a torch checkpoint)'
    return None
