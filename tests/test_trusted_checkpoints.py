"""KD_PLUGIN_TRUSTED_CHECKPOINTS=1 opts in to loading legacy files outside the
allow-list."""
import argparse

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import CheckpointLoader
from test_checkpoint_safety import Exploit

from kd_plugin.utils import UnsafeCheckpointError, safe_checkpoint_loading, safe_load


@pytest.fixture
def legacy_checkpoint(tmp_path):
    path = tmp_path / 'legacy.pth'
    torch.save(
        {
            'state_dict': {
                'w': torch.ones(2)
            },
            'meta': {
                'args': argparse.Namespace(lr=0.1)
            }
        }, path)
    return path


def test_without_the_variable_code_is_still_refused(tmp_path, monkeypatch):
    monkeypatch.delenv('KD_PLUGIN_TRUSTED_CHECKPOINTS', raising=False)
    marker = tmp_path / 'code_was_executed'
    path = tmp_path / 'malicious.pth'
    torch.save({'meta': {'payload': Exploit(str(marker))}}, path)
    with pytest.raises(UnsafeCheckpointError, match='KD_PLUGIN_TRUSTED_CHECKPOINTS=1'):
        safe_load(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('value', ['', '0', 'yes'])
def test_only_the_value_1_opts_in(legacy_checkpoint, monkeypatch, value):
    monkeypatch.setenv('KD_PLUGIN_TRUSTED_CHECKPOINTS', value)
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        safe_load(str(legacy_checkpoint))


def test_with_the_variable_a_legacy_file_loads_with_a_warning(legacy_checkpoint,
                                                              monkeypatch, capsys):
    monkeypatch.setenv('KD_PLUGIN_TRUSTED_CHECKPOINTS', '1')
    MMLogger.get_instance('trusted_checkpoint_test')  # print_log's 'current' logger
    with safe_checkpoint_loading():  # the runner path, as the default runtime installs it
        checkpoint = CheckpointLoader.load_checkpoint(str(legacy_checkpoint))
    assert checkpoint['meta']['args'].lr == 0.1
    assert torch.equal(checkpoint['state_dict']['w'], torch.ones(2))
    captured = capsys.readouterr()
    assert str(legacy_checkpoint) in captured.out + captured.err
    assert 'weights_only=False' in captured.out + captured.err
