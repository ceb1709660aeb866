"""Import a command-line script of ``tools/`` as a module (tools/ is no package)."""
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_tool(relative_path: str) -> ModuleType:
    """``load_tool('tools/benchmark.py')``: the script's module, without running it."""
    path = ROOT / relative_path
    name = 'tool_' + '_'.join(path.with_suffix('').parts[-2:])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
