"""Configs are declarative: pair bases hold only the models, method configs list their
_base_ files, and composing a new pair is one line of a config."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from tool_modules import load_tool

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / 'configs'
PAIR_KEYS = {'type', 'teacher', 'teacher_ckpt', 'student', 'shape_probe'}


def test_no_config_runs_code():
    """No config imports anything (Config.fromfile, get_config, ...) or deletes names."""
    offenders = [
        str(path.relative_to(ROOT)) for path in sorted(CONFIGS.rglob('*.py'))
        if re.search(r'^\s*(import |from |del )', path.read_text(), re.M)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    'path',
    sorted((CONFIGS / '_base_' / 'pairs').glob('*.py')),
    ids=lambda path: path.stem)
def test_pair_bases_hold_only_the_models(path):
    cfg = Config.fromfile(str(path))
    assert set(cfg.keys()) == {'model'}
    assert set(cfg.model) <= PAIR_KEYS, set(cfg.model) - PAIR_KEYS
    for role in ('teacher', 'student'):
        assert Path(cfg.model[role]).is_file(), cfg.model[role]


def test_swapping_the_student_is_one_line(tmp_path):
    """docs/getting_started.md: inherit a method config and name another model file."""
    method = CONFIGS / 'kd' / 'kd_resnet32x4_resnet8x4_1xb64_cifar100.py'
    student = CONFIGS / '_base_' / 'models' / 'cifar' / 'wrn_16_2.py'
    user = tmp_path / 'kd_resnet32x4_wrn_16_2_1xb64_cifar100.py'
    user.write_text(f'_base_ = [{str(method)!r}]\n'
                    f'model = dict(student={str(student)!r})\n')
    cfg = Config.fromfile(str(user))
    assert cfg.model.student == str(student)
    assert cfg.model.teacher.endswith('resnet32x4.py')
    result = load_tool('tools/smoke.py').run_smoke(str(user))
    assert set(result['losses']) >= {'train/loss_kd', 'train/loss_cls'}
