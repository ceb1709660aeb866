"""Checkpoints survive a kill, a power loss and a full disk; --resume finds a complete
one (issue 14)."""
import errno
import itertools
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import zipfile
from collections import namedtuple
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from kd_plugin.utils import safe_load
from kd_plugin.utils.checkpoint import checkpoint_problem

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_KD = ROOT / 'tests' / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()

# Runs tools/train.py, and dies (SIGKILL) half way through writing any file whose name
# contains epoch_2.pth: the first half of the bytes reaches the disk, the rest never.
KILLED_WHILE_SAVING = '''
import builtins, os, runpy, signal, sys

real_open = builtins.open


class DiesHalfWay:
    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[:len(data) // 2])
        self.file.flush()
        os.fsync(self.file.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.file.close()

    def __getattr__(self, name):
        return getattr(self.file, name)


def dying_open(file, mode='r', *args, **kwargs):
    opened = real_open(file, mode, *args, **kwargs)
    if ('w' in mode or 'x' in mode) and 'epoch_2.pth' in os.path.basename(str(file)):
        return DiesHalfWay(opened)
    return opened


builtins.open = dying_open
sys.argv = ['tools/train.py'] + sys.argv[1:]
runpy.run_path('tools/train.py', run_name='__main__')
'''


def config(work_dir: Path, max_epochs: int, resume=False, max_keep_ckpts=1) -> Config:
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'crash_safe_{next(_RUN_IDS)}'
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint.max_keep_ckpts = max_keep_ckpts
    cfg.resume = resume
    return cfg


def last_checkpoint(work_dir: Path) -> str:
    return (work_dir / 'last_checkpoint').read_text()


def test_killed_while_saving_keeps_the_previous_checkpoint_and_resumes(tmp_path):
    """max_keep_ckpts=1, the process killed while epoch_2.pth is written: MMEngine's
    hook had already removed epoch_1.pth and left a half epoch_2.pth."""
    work_dir = tmp_path / 'work'
    result = subprocess.run([
        sys.executable, '-c', KILLED_WHILE_SAVING,
        str(SYNTHETIC_KD), '--work-dir',
        str(work_dir), '--cfg-options', 'default_hooks.checkpoint.max_keep_ckpts=1',
        'train_cfg.val_interval=100'
    ],
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    assert not (work_dir / 'epoch_2.pth').exists(), 'a half-written file got its name'
    assert last_checkpoint(work_dir) == str(work_dir / 'epoch_1.pth')
    assert checkpoint_problem(str(work_dir / 'epoch_1.pth')) is None
    assert [p.name for p in work_dir.glob('.epoch_2.pth.*.tmp')], 'the kill came too soon'

    runner = Runner.from_cfg(config(work_dir, max_epochs=2, resume=True))
    runner.train()
    assert safe_load(str(work_dir / 'epoch_2.pth'))['meta']['iter'] == 8
    assert not (work_dir / 'epoch_1.pth').exists(), 'max_keep_ckpts=1 still applies'
    assert not list(work_dir.glob('.*.tmp')), 'the next run removes the unfinished file'


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == 'truncated':
        path.write_bytes(data[:len(data) // 2])
    elif how == 'bit flipped':  # one bit in the middle of the largest tensor's bytes
        with zipfile.ZipFile(path) as archive:
            member = max(archive.infolist(), key=lambda info: info.file_size)
        name_length, extra_length = struct.unpack(
            '<HH', data[member.header_offset + 26:member.header_offset + 30])
        at = member.header_offset + 30 + name_length + extra_length + \
            member.file_size // 2
        path.write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:])
    else:
        path.unlink()


@pytest.mark.parametrize('how', ['truncated', 'bit flipped', 'deleted'])
def test_resume_falls_back_to_the_newest_complete_checkpoint(tmp_path, capsys, how):
    Runner.from_cfg(config(tmp_path, max_epochs=2, max_keep_ckpts=2)).train()
    damage(tmp_path / 'epoch_2.pth', how)
    assert last_checkpoint(tmp_path) == str(tmp_path / 'epoch_2.pth')

    runner = Runner.from_cfg(config(tmp_path, max_epochs=3, resume=True))
    runner.train()
    output = capsys.readouterr().out
    assert f'names {tmp_path / "epoch_2.pth"}' in output
    assert f'Resuming from {tmp_path / "epoch_1.pth"}' in output
    assert 'resumed epoch: 1, iter: 4' in output
    assert safe_load(str(tmp_path / 'epoch_3.pth'))['meta']['iter'] == 12


def test_resume_without_last_checkpoint_uses_the_newest_complete_one(tmp_path, capsys):
    """MMEngine started afresh, silently, when last_checkpoint was lost."""
    Runner.from_cfg(config(tmp_path, max_epochs=2, max_keep_ckpts=2)).train()
    (tmp_path / 'last_checkpoint').unlink()
    Runner.from_cfg(config(tmp_path, max_epochs=3, resume=True)).train()
    output = capsys.readouterr().out
    assert f'there is no {tmp_path / "last_checkpoint"}. Resuming from ' \
        f'{tmp_path / "epoch_2.pth"}' in output
    assert 'resumed epoch: 2, iter: 8' in output


def test_resume_without_any_complete_checkpoint_names_the_file(tmp_path):
    Runner.from_cfg(config(tmp_path, max_epochs=1)).train()
    damage(tmp_path / 'epoch_1.pth', 'truncated')
    with pytest.raises(RuntimeError, match='epoch_1.pth .*without --resume'):
        Runner.from_cfg(config(tmp_path, max_epochs=2, resume=True)).train()


def test_resume_from_a_named_broken_file_is_refused(tmp_path):
    Runner.from_cfg(config(tmp_path, max_epochs=2, max_keep_ckpts=2)).train()
    damage(tmp_path / 'epoch_2.pth', 'truncated')
    cfg = config(tmp_path, max_epochs=3, resume=True)
    cfg.load_from = str(tmp_path / 'epoch_2.pth')  # --resume PATH
    with pytest.raises(
            ValueError,
            match='epoch_2.pth: the zip archive is truncated or damaged.*'
            'newest complete checkpoint next to it is .*epoch_1.pth'):
        Runner.from_cfg(cfg).train()


def test_a_full_disk_is_reported_before_the_first_epoch(tmp_path, monkeypatch):
    usage = namedtuple('usage', 'total used free')
    monkeypatch.setattr(shutil, 'disk_usage', lambda path: usage(10**9, 10**9, 1024))
    runner = Runner.from_cfg(config(tmp_path, max_epochs=1))
    with pytest.raises(OSError, match=re.escape(f'{tmp_path} has 0.0 MiB free')) as error:
        runner.train()
    assert error.value.errno == errno.ENOSPC
    assert runner.iter == 0 and not list(tmp_path.glob('*.pth'))


def test_a_save_that_fails_leaves_no_partial_file(tmp_path, monkeypatch):
    """The disk fills up while epoch_2.pth is written."""
    Runner.from_cfg(config(tmp_path, max_epochs=1)).train()

    def no_space(descriptor):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', no_space)
    with pytest.raises(OSError, match='No space left'):
        Runner.from_cfg(config(tmp_path, max_epochs=2, resume=True)).train()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in ('.pth', '.tmp')) \
        == ['epoch_1.pth']
    assert not list(tmp_path.glob('.*.tmp'))
    assert last_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')
    assert checkpoint_problem(str(tmp_path / 'epoch_1.pth')) is None


def test_best_checkpoint_is_replaced_only_when_the_new_one_is_complete(tmp_path):
    cfg = config(tmp_path, max_epochs=3)
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.checkpoint.save_best = 'accuracy/top1'
    cfg.default_hooks.checkpoint.rule = 'greater'
    Runner.from_cfg(cfg).train()
    best = list(tmp_path.glob('best_*.pth'))
    assert len(best) == 1 and checkpoint_problem(str(best[0])) is None
    assert sorted(p.name for p in tmp_path.glob('epoch_*.pth')) == ['epoch_3.pth']


@pytest.mark.parametrize('name', [
    'demo_teacher_resnet18w16_digits', 'demo_student_resnet18w1_digits',
    'kd_resnet18w16_resnet18w1_1xb32_digits'
])
def test_demo_configs_keep_more_than_one_checkpoint(name):
    hook = Config.fromfile(ROOT / 'configs' / 'demo' /
                           f'{name}.py').default_hooks.checkpoint
    assert hook.type == 'AtomicCheckpointHook'
    assert hook.max_keep_ckpts > 1 or hook.max_keep_ckpts == -1
