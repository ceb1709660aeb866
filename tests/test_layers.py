"""The package's layers import downward only, lazy imports included, and `import
kd_plugin` registers modules without changing anything else."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / 'kd_plugin'
# Lower layers first; a module may import its own layer or any layer before it.
LAYERS = [
    ('kd_plugin.version', 'kd_plugin.utils'),
    ('kd_plugin.datasets', ),
    ('kd_plugin.models.connectors', 'kd_plugin.models.backbones',
     'kd_plugin.models.heads'),
    ('kd_plugin.models.dis_losses', ),
    ('kd_plugin.models.distillers', ),
    ('kd_plugin.models', ),
    ('kd_plugin.engine', ),
    ('kd_plugin.apis', ),
    ('kd_plugin', ),
]


def layer_of(module: str) -> int:
    """Index of the most specific layer prefix of ``module``."""
    best, length = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix
                    or module.startswith(prefix + '.')) and len(prefix) > length:
                best, length = index, len(prefix)
    assert best is not None, module
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split('.'))
    return path.with_suffix('.py').is_file() or (path / '__init__.py').is_file()


def imported_modules(path: Path):
    """Every kd_plugin module ``path`` imports, at any depth (function bodies too)."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ''
            # `from pkg import sub` imports the submodule when there is one
            targets = [
                f'{module}.{alias.name}'
                if is_module(f'{module}.{alias.name}') else module for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == 'kd_plugin' or target.startswith('kd_plugin.'):
                yield node.lineno, target


def test_layers_import_downward_only():
    violations = []
    for path in sorted(PACKAGE.rglob('*.py')):
        source = module_name(path)
        for line, target in imported_modules(path):
            if target.startswith(source + '.') or target == source:
                continue  # a package importing its own submodules
            if layer_of(target) > layer_of(source):
                violations.append(
                    f'{path.relative_to(PACKAGE.parent)}:{line} imports {target}')
    assert not violations, '\n'.join(violations)


def test_the_subpackage_import_graph_has_no_cycle():
    graph = {}
    for path in PACKAGE.rglob('*.py'):
        source = '.'.join(module_name(path).split('.')[:3])
        for _, target in imported_modules(path):
            target = '.'.join(target.split('.')[:3])
            if target != source and not source.startswith(target + '.'):
                graph.setdefault(source, set()).add(target)
    state = {}

    def visit(node, trail):
        if state.get(node) == 'done':
            return
        assert state.get(node) != 'open', ' -> '.join(trail + [node])
        state[node] = 'open'
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 'done'

    for node in sorted(graph):
        visit(node, [])
