"""Checkpoints load with weights_only=True plus an allow-list; code in a pickle never runs."""
import os
import pickle

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain.registry import MODELS

from kd_plugin.engine import UnsafeCheckpointError, load_model_weights, safe_load
from test_distiller import classifier


class Exploit:
    """Unpickling this would create a marker file (standing in for arbitrary code)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


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
        lambda: CheckpointLoader.load_checkpoint(str(path)),  # runner load_from/--resume
        lambda: load_model_weights(MODELS.build(classifier(4)), str(path), 'teacher'),
    ]
    for load in loaders:
        with pytest.raises(UnsafeCheckpointError, match='posix.system|os.system|system'):
            load()
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
    torch.save({'meta': {'seed': np.int64(3), 'array': np.arange(3.0)},
                'message_hub': hub.state_dict(),
                'state_dict': {'w': torch.ones(2)}}, path)
    checkpoint = CheckpointLoader.load_checkpoint(str(path))
    assert checkpoint['message_hub']['log_scalars']['train/loss'].min() == 0.25
    assert checkpoint['meta']['array'].tolist() == [0.0, 1.0, 2.0]
