"""The user's commands, run as the user runs them: train, resume, test, dist_train,
mim."""
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_KD = ROOT / 'tests' / 'data' / 'configs' / 'kd_synthetic.py'


def run(args, cwd=ROOT, timeout=300, env=None):
    """Run a command like a user would; fail with its output if it fails."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    full_env['PATH'] = f'{Path(sys.executable).parent}:{full_env.get("PATH", "")}'
    result = subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{args} failed:\n{output[-6000:]}'
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def load_runner_checkpoint(path):
    from kd_plugin.utils import safe_load
    return safe_load(str(path))


@pytest.mark.slow
def test_train_resume_and_test_the_student(tmp_path):
    work_dir = tmp_path / 'work'
    train = [
        sys.executable, 'tools/train.py',
        str(SYNTHETIC_KD), '--work-dir',
        str(work_dir)
    ]
    run(train + ['--cfg-options', 'train_cfg.max_epochs=1'])
    first = load_runner_checkpoint(work_dir / 'epoch_1.pth')
    assert first['meta']['iter'] == 4
    assert not any(k.startswith('teacher.') for k in first['state_dict'])

    log = run(train + ['--resume'])  # the config's 2 epochs: continues with epoch 2
    assert 'resumed epoch: 1, iter: 4' in log
    assert 'missing keys' not in log, 'a resume must not report the absent teacher'
    second = load_runner_checkpoint(work_dir / 'epoch_2.pth')
    assert second['meta']['iter'] == 8

    metrics_file = tmp_path / 'metrics.json'
    log = run([
        sys.executable, 'tools/test.py',
        str(SYNTHETIC_KD),
        str(work_dir / 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 'test'), '--out',
        str(metrics_file)
    ])
    metrics = json.loads(metrics_file.read_text())
    assert 0 <= metrics['accuracy/top1'] <= 100
    assert 'missing keys' not in log


@pytest.mark.slow
def test_two_process_cpu_training_through_dist_train(tmp_path):
    work_dir = tmp_path / 'dist'
    log = run([
        'bash', 'tools/dist_train.sh',
        str(SYNTHETIC_KD), '2', '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1'
    ],
              env=dict(PORT=str(free_port()), OMP_NUM_THREADS='1'))
    assert 'Epoch(train) [1][2/2]' in log, 'two processes share 32 samples as 2 x 2 x 8'
    checkpoint = load_runner_checkpoint(work_dir / 'epoch_1.pth')
    assert checkpoint['meta']['iter'] == 2


@pytest.mark.slow
def test_pip_install_then_mim_test(tmp_path):
    """A regular `pip install .` gives mim the package's tools and configs."""
    venv = tmp_path / 'venv'
    run([sys.executable, '-m', 'venv', '--without-pip', str(venv)])
    # The scratch venv sees the dependencies of the test environment, not its kd_plugin.
    site = Path(sysconfig.get_paths()['purelib'])
    scratch_site = next(venv.glob('lib/python*/site-packages'))
    (scratch_site / 'test_env.pth').write_text(f'{site}\n')
    python = venv / 'bin' / 'python'
    run([
        python, '-m', 'pip', 'install', '--no-deps', '--no-build-isolation', '--quiet',
        str(ROOT)
    ],
        cwd=tmp_path)

    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    config = 'kd_resnet18w16_resnet18w1_1xb32_digits.py'
    cfg = Config.fromfile(ROOT / 'configs' / 'demo' / config)
    checkpoint = tmp_path / 'distilled.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, checkpoint)

    log = run([
        python, '-m', 'mim', 'test', 'kd_plugin', config, '--checkpoint',
        str(checkpoint)
    ],
              cwd=tmp_path)
    installed = run([python, '-c', 'import kd_plugin; print(kd_plugin.__file__)'],
                    cwd=tmp_path)
    assert str(scratch_site) in installed, 'mim must run the installed package'
    assert re.search(r'Epoch\(test\).*accuracy/top1: \d', log), log[-2000:]


def test_dist_train_refuses_more_processes_than_the_machine_has(tmp_path):
    result = subprocess.run(['bash', 'tools/dist_train.sh',
                             str(SYNTHETIC_KD), '512'],
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                            timeout=120,
                            env=dict(
                                os.environ,
                                PATH=f'{Path(sys.executable).parent}:'
                                f'{os.environ.get("PATH", "")}'))
    assert result.returncode != 0
    assert '512 processes per node asked' in result.stderr


def test_missing_cifar_data_fails_at_once_without_downloading(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(ROOT / 'configs' / '_base_' / 'datasets' / 'cifar100_bs64.py')
    dataset = dict(cfg.train_dataloader.dataset, data_root=str(tmp_path / 'cifar100'))
    with pytest.raises(RuntimeError, match='Cannot find CIFAR100 dataset'):
        DATASETS.build(dataset)
    assert not any(tmp_path.rglob('*.tar.gz')), 'nothing was downloaded'


DYING_HOOK = '''
import os

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class DieOnRankHook(Hook):
    """Kills one process of a distributed run in the middle of training."""

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if int(os.environ['RANK']) == 1 and runner.iter == 1:
            os._exit(3)
'''


@pytest.mark.slow
def test_a_dying_process_ends_the_distributed_job(tmp_path):
    (tmp_path / 'dying_hook.py').write_text(DYING_HOOK)
    config = tmp_path / 'dying.py'
    config.write_text(f"_base_ = ['{SYNTHETIC_KD}']\n"
                      "custom_imports = dict(imports=['kd_plugin', 'dying_hook'], "
                      "allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='DieOnRankHook')]\n"
                      "train_cfg = dict(max_epochs=50)\n")
    env = dict(
        os.environ,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=f'{tmp_path}:{os.environ.get("PYTHONPATH", "")}',
        PATH=f'{Path(sys.executable).parent}:{os.environ.get("PATH", "")}')
    result = subprocess.run([
        'bash', 'tools/dist_train.sh',
        str(config), '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                            cwd=ROOT,
                            env=env,
                            text=True,
                            capture_output=True,
                            timeout=240)
    assert result.returncode != 0, 'the job must fail, not hang or succeed'
    assert 'exitcode  : 3' in result.stderr + result.stdout
