"""Every use of MMEngine's and torch's private APIs, in one version-checked place.

kd_plugin relies on a few attributes that MMEngine and torch do not document. They are
read and written only through the functions below, each of which checks that the
attribute exists and otherwise fails with the versions this was written for, so an
upgrade that moves one of them is found at once and fixed here.
"""
import contextlib
import copy
import inspect
import os
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Callable, Dict, Iterable, Iterator, Optional, Tuple

import mmengine
import mmengine.config.utils as config_utils
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner.checkpoint import CheckpointLoader

TESTED = (f'mmengine 0.10.7 (found {mmengine.__version__}), '
          f'torch 2.x (found {torch.__version__})')


def _missing(what: str) -> AttributeError:
    return AttributeError(f'{what} is gone: kd_plugin was written for {TESTED}. '
                          'Pin those versions or update kd_plugin/utils/compat.py.')


def checkpoint_schemes() -> Dict[str, Callable]:
    """MMEngine's registered checkpoint loaders by prefix
    (``CheckpointLoader._schemes``)."""
    schemes = getattr(CheckpointLoader, '_schemes', None)
    if not isinstance(schemes, dict):
        raise _missing('mmengine CheckpointLoader._schemes')
    return schemes


def set_checkpoint_schemes(schemes: Dict[str, Callable]) -> None:
    """Replace MMEngine's checkpoint loaders by ``schemes``, ordered as
    ``CheckpointLoader._register_scheme`` orders them (prefixes in reverse order)."""
    checkpoint_schemes()
    CheckpointLoader._schemes = OrderedDict(
        sorted(schemes.items(), key=lambda item: item[0], reverse=True))


def randomness_deterministic(runner) -> bool:
    """The runner's ``randomness.deterministic`` setting (``Runner._randomness_cfg``)."""
    config = getattr(runner, '_randomness_cfg', None)
    if config is None:
        raise _missing('mmengine Runner._randomness_cfg')
    return bool(config.get('deterministic', False))


def resume_request(runner) -> Tuple[bool, Optional[str]]:
    """Whether the runner will resume (``Runner._resume``) and from which file
    (``Runner._load_from``; None: the latest checkpoint of the work dir)."""
    if not hasattr(runner, '_resume') or not hasattr(runner, '_load_from'):
        raise _missing('mmengine Runner._resume / Runner._load_from')
    return bool(runner._resume), runner._load_from


def set_resume_checkpoint(runner, filename: str) -> None:
    """Make the runner resume from ``filename`` (``Runner._load_from``; read in
    ``Runner.load_or_resume``, after the ``before_run`` hooks)."""
    resume_request(runner)
    runner._load_from = filename


def check_checkpoint_hook_internals(hook_class: type) -> None:
    """Check that MMEngine's ``CheckpointHook`` still has the private methods that
    ``AtomicCheckpointHook`` overrides, with the same parameters."""
    expected = {
        '_save_checkpoint_with_step': ['self', 'runner', 'step', 'meta'],
        '_save_best_checkpoint': ['self', 'runner', 'metrics'],
    }
    for name, parameters in expected.items():
        method = getattr(hook_class, name, None)
        if method is None or list(inspect.signature(method).parameters) != parameters:
            raise _missing(f'mmengine CheckpointHook.{name}({", ".join(parameters[1:])})')


def state_dict_hooks(module: nn.Module) -> Iterable[Callable]:
    """The state-dict hooks a module registered (``nn.Module._state_dict_hooks``)."""
    hooks = getattr(module, '_state_dict_hooks', None)
    if hooks is None:
        raise _missing('torch nn.Module._state_dict_hooks')
    return list(hooks.values())


def normalizes(data_preprocessor: nn.Module) -> bool:
    """Whether an MMEngine data preprocessor normalises (``_enable_normalize``)."""
    return bool(getattr(data_preprocessor, '_enable_normalize', False))


def mark_initialised(module: nn.Module) -> None:
    """Tell MMEngine's ``BaseModule.init_weights`` that ``module`` holds loaded weights
    (``_is_init``), so a later ``init_weights`` of its parent leaves them alone."""
    module._is_init = True


@contextlib.contextmanager
def memoised_config_loading() -> Iterator[None]:
    """Within this context, ``Config.fromfile`` parses each file once.

    MMEngine re-parses every ``_base_`` file for every config that lists it, through a
    temporary copy, and for every ``package::`` path checks that the package is
    installed and reads all of its metafiles. This memoises ``Config._file2dict`` (per
    file; deep copies in and out, since callers modify the result),
    ``Config._get_cfg_path`` for ``package::`` paths and the (read-only) metafile reads
    of ``mmengine.config.utils``, and keeps the temporary copies in memory (``/dev/shm``)
    when that exists (``tools/analysis/recipe_table.py``: 3 s instead of 53 s for every
    config). The results are identical; an MMEngine without these private functions
    simply loads uncached.
    """
    file2dict = Config.__dict__.get('_file2dict')
    get_cfg_path = Config.__dict__.get('_get_cfg_path')
    read_metafile = getattr(config_utils, 'load', None)
    if not (isinstance(file2dict, staticmethod) and isinstance(get_cfg_path, staticmethod)
            and callable(read_metafile)):
        yield
        return
    parsed, located, metafiles = {}, {}, {}

    def cached_file2dict(filename, *args, **kwargs):
        key = (osp.abspath(filename), args, tuple(sorted(kwargs.items())))
        if key not in parsed:
            parsed[key] = file2dict.__func__(filename, *args, **kwargs)
        return copy.deepcopy(parsed[key])

    def cached_get_cfg_path(cfg_path, filename):
        if '::' not in cfg_path:
            return get_cfg_path.__func__(cfg_path, filename)
        if cfg_path not in located:
            located[cfg_path] = get_cfg_path.__func__(cfg_path, filename)
        return located[cfg_path]

    def cached_read_metafile(path, *args, **kwargs):
        key = (path, args, tuple(sorted(kwargs.items())))
        if key not in metafiles:
            metafiles[key] = read_metafile(path, *args, **kwargs)
        return metafiles[key]  # only read (the lookup of a config's metainfo)

    temp_dir = tempfile.tempdir
    memory = '/dev/shm'
    try:
        Config._file2dict = staticmethod(cached_file2dict)
        Config._get_cfg_path = staticmethod(cached_get_cfg_path)
        config_utils.load = cached_read_metafile
        if osp.isdir(memory) and os.access(memory, os.W_OK):
            tempfile.tempdir = memory
        yield
    finally:
        Config._file2dict = file2dict
        Config._get_cfg_path = get_cfg_path
        config_utils.load = read_metafile
        tempfile.tempdir = temp_dir


def package_config_path(reference: str, root: str) -> str:
    """The file of a ``package::path`` config (``Config._get_cfg_path``, where
    ``mmengine.hub.get_config`` finds it)."""
    get_cfg_path = getattr(Config, '_get_cfg_path', None)
    if get_cfg_path is None:
        raise _missing('mmengine Config._get_cfg_path')
    return get_cfg_path(reference, root)[0]
