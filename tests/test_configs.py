"""Every config in the repository trains and validates (tools/smoke.py), offline, on CPU."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)

spec = importlib.util.spec_from_file_location('smoke_tool', ROOT / 'tools' / 'smoke.py')
smoke_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(smoke_tool)


def test_config_basenames_are_unique():
    """mim finds configs by basename and refuses ambiguous ones."""
    names = [path.name for path in CONFIGS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize('config', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_passes_smoke(config, tmp_path):
    result = smoke_tool.run_smoke(str(config), iters=2, batch_size=2,
                                  work_dir=str(tmp_path))
    assert result['losses'], 'training logged no loss'
    assert any(key.startswith('val/accuracy') for key in result['metrics'])
