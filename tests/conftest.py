import sys
from pathlib import Path

# Test helpers (reference_losses.py) live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))

import kd_plugin  # noqa: E402,F401  (registers the plugin's modules)
