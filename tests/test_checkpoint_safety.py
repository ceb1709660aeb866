"""Checkpoints load with weights_only=True plus an allow-list; code in a pickle never
runs."""
import os
import pickle
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.registry import MODELS
from test_distiller import classifier

from kd_plugin.engine import SafeCheckpointLoadingHook
from kd_plugin.utils import (
    UnsafeCheckpointError,
    load_model_weights,
    safe_checkpoint_loading,
    safe_load,
)


class Exploit:
    """Unpickling this would create a marker file (standing in for arbitrary code)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class ReachAttribute:
    """Unpickles as ``getattr(owner, name)``: how a pickle reaches an attribute (and,
    from there, e.g. a method that writes files) of a class it may import."""

    def __init__(self, owner, name: str) -> None:
        self.owner, self.name = owner, name

    def __reduce__(self):
        return (getattr, (self.owner, self.name))


@pytest.mark.parametrize('owner, name', [(HistoryBuffer, 'update'),
                                         (HistoryBuffer, '__init__'),
                                         (HistoryBuffer, 'statistics'),
                                         (OrderedDict, 'fromkeys'),
                                         (np.ndarray, 'tofile')])
def test_getattr_reaches_only_the_history_buffer_statistics(tmp_path, owner, name):
    path = tmp_path / 'reach.pth'
    torch.save({'meta': {'reach': ReachAttribute(owner, name)}}, path)
    with pytest.raises(UnsafeCheckpointError, match='builtins.getattr'):
        safe_load(str(path))


def test_getattr_of_the_four_history_buffer_statistics_loads(tmp_path):
    """Message-hub buffers pickle their statistic methods this way."""
    names = ('min', 'max', 'current', 'mean')
    path = tmp_path / 'statistics.pth'
    torch.save({name: ReachAttribute(HistoryBuffer, name) for name in names}, path)
    loaded = safe_load(str(path))
    assert all(loaded[name] is getattr(HistoryBuffer, name) for name in names)


@pytest.fixture
def malicious_checkpoint(tmp_path):
    marker = tmp_path / 'code_was_executed'
    path = tmp_path / 'malicious.pth'
    state = MODELS.build(classifier(4)).state_dict()
    torch.save({'state_dict': state, 'meta': {'payload': Exploit(str(marker))}}, path)
    return path, marker


def test_every_load_path_refuses_code_in_the_pickle(malicious_checkpoint):
    path, marker = malicious_checkpoint
    loaders = [
        lambda: safe_load(str(path)),
        lambda: load_model_weights(MODELS.build(classifier(4)), str(path), 'teacher'),
    ]
    for load in loaders:
        with pytest.raises(UnsafeCheckpointError, match='posix.system|os.system|system'):
            load()
    # runner load_from / --resume / tools/test.py, with the safe loading installed
    with safe_checkpoint_loading(), pytest.raises(UnsafeCheckpointError, match='system'):
        CheckpointLoader.load_checkpoint(str(path))
    # ... and without it: torch's own weights_only default refuses it too
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path))
    assert not marker.exists(), 'unpickling executed code'
    assert isinstance(UnsafeCheckpointError('x'), pickle.UnpicklingError)


def test_runner_checkpoint_contents_are_allowed(tmp_path):
    """Message-hub buffers and numpy values, as MMEngine writes them, load safely."""
    import numpy as np
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('safety_test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    path = tmp_path / 'runner.pth'
    torch.save(
        {
            'meta': {
                'seed': np.int64(3),
                'array': np.arange(3.0)
            },
            'message_hub': hub.state_dict(),
            'state_dict': {
                'w': torch.ones(2)
            }
        }, path)
    with safe_checkpoint_loading():
        checkpoint = CheckpointLoader.load_checkpoint(str(path))
    assert checkpoint['message_hub']['log_scalars']['train/loss'].min() == 0.25
    assert checkpoint['meta']['array'].tolist() == [0.0, 1.0, 2.0]


def test_importing_the_plugin_leaves_mmengine_loaders_alone():
    """`import kd_plugin` registers modules and changes nothing else: MMEngine's
    checkpoint loaders are those of MMEngine; the hook installs the safe ones for a run
    and puts MMEngine's back afterwards."""
    code = ('from mmengine.runner.checkpoint import CheckpointLoader as L; '
            'before = dict(L._schemes); import kd_plugin, kd_plugin.apis.smoke; '
            'assert dict(L._schemes) == before, "kd_plugin changed the loaders"')
    subprocess.run([sys.executable, '-c', code], check=True)
    before = dict(CheckpointLoader._schemes)
    hook = SafeCheckpointLoadingHook()
    hook.before_run(None)
    assert CheckpointLoader._schemes[''] is not before['']
    hook.after_run(None)
    assert dict(CheckpointLoader._schemes) == before
