"""Mistakes a new user makes are named at once, with the key, the value and the fix."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config
from test_distiller import distiller
from tool_modules import load_tool

ROOT = Path(__file__).resolve().parent.parent
DEMO = str(ROOT / 'configs' / 'demo' / 'kd_resnet18w16_resnet18w1_1xb32_digits.py')


def parse(*argv):
    train = load_tool('tools/train.py')
    sys.argv = ['train.py', *argv]
    try:
        args = train.parse_args()
    finally:
        sys.argv = sys.argv[:1]
    return train.merge_args(Config.fromfile(args.config), args)


def test_auto_scale_lr_works_on_the_demo_and_names_a_missing_base(tmp_path):
    cfg = parse(DEMO, '--auto-scale-lr', '--work-dir', str(tmp_path))
    assert cfg.auto_scale_lr == dict(base_batch_size=32, enable=True)
    bare = tmp_path / 'bare.py'
    bare.write_text(f'_base_ = [{DEMO!r}]\nauto_scale_lr = dict(_delete_=True)\n')
    with pytest.raises(ValueError, match='auto_scale_lr.base_batch_size'):
        parse(str(bare), '--auto-scale-lr')


def test_amp_without_a_gpu_points_to_bf16(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match="student_precision='bf16'"):
        parse(DEMO, '--amp')


def test_a_missing_teacher_checkpoint_names_the_key_and_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = distiller(teacher_ckpt='checkpoints/teacher.pth')
    with pytest.raises(FileNotFoundError) as error:
        model.init_weights()
    message = str(error.value)
    assert "model.teacher_ckpt='checkpoints/teacher.pth'" in message
    assert str(tmp_path) in message and '--cfg-options model.teacher_ckpt=' in message


def test_converters_run_from_a_checkout_without_installing(tmp_path):
    """Like every tool, the converters find kd_plugin from the checkout itself: with
    the editable install's finder removed, ``-h`` works and kd_plugin is the
    checkout's."""
    program = (
        'import runpy, sys\n'
        "sys.meta_path[:] = [f for f in sys.meta_path if 'kd_plugin' not in repr(f)]\n"
        'sys.argv = [sys.argv[1], "-h"]\n'
        'try:\n'
        '    runpy.run_path(sys.argv[0], run_name="__main__")\n'
        'except SystemExit as stop:\n'
        '    assert stop.code in (0, None), stop.code\n'
        "print('kd_plugin from', sys.modules['kd_plugin'].__file__)\n")
    env = dict(os.environ, PYTHONPATH='')
    for script in ('mdistiller_to_mmpretrain.py', 'torchvision_to_mmpretrain.py'):
        path = ROOT / 'tools' / 'model_converters' / script
        result = subprocess.run(
            [sys.executable, '-c', program, str(path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True)
        assert result.returncode == 0, result.stderr
        assert 'usage:' in result.stdout
        assert f'kd_plugin from {ROOT / "kd_plugin"}' in result.stdout, result.stdout
