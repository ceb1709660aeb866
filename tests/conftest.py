import sys
from pathlib import Path

# Test helpers (reference_losses.py) live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

import kd_plugin  # noqa: E402,F401  (registers the plugin's modules)
from kd_plugin.utils import compat  # noqa: E402


@pytest.fixture(autouse=True)
def mmengine_checkpoint_loaders():
    """A run that raises never reaches ``after_run``, so its SafeCheckpointLoadingHook
    leaves kd_plugin's loaders installed; put back the loaders each test found."""
    found = dict(compat.checkpoint_schemes())
    yield
    compat.set_checkpoint_schemes(found)
