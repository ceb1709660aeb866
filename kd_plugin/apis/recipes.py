"""Every config's resolved training recipe, as a table that the test suite pins.

:func:`resolve_recipe` reads a config as MMEngine's runner will (``Config.fromfile``,
every ``_base_`` merged; nothing is built) and lists what changes the numbers a run
produces, one ``field: value`` pair each, the field named by its path in the config:

* the model: the distiller's student and teacher (model config files, resolved once
  each in a section of their own), ``teacher_ckpt``, the teacher's mode, precision and
  input, ``student_loss_weight`` and any other option the config sets, and every
  distillation loss with all its arguments (the loss class's defaults filled in, the
  ``inputs`` bindings and nested losses included); a plain classifier, whole;
* the normalisation (the data preprocessor the runner gives the model);
* the batch: GPUs (from the config name, ``_8xb32_``), batch per GPU, the effective
  batch, the sampler, and the training set with its wrappers and pipelines;
* the optimizer (its class's defaults filled in: momentum, Nesterov, weight decay ...),
  the optimizer wrapper (AMP, ``paramwise_cfg``, ``clip_grad``), the parameter
  schedulers (``begin`` / ``end`` / ``by_epoch`` as the runner resolves them), the
  training loop (epochs), ``auto_scale_lr`` and ``custom_hooks``.

Values print exactly and deterministically: floats as ``repr`` (the shortest text that
reads back as the same double), dicts with sorted keys, paths relative to the
repository. :func:`render_table` writes the recipes of all configs, grouped by config
folder with a summary table per folder, one block per config; :func:`parse_table` reads
such a file back and :func:`compare_recipes` names, per config, each field that differs.
``tools/analysis/recipe_table.py`` writes ``docs/recipes.md`` or checks it.

Resolving some 400 configs spends most of its time re-reading the same base files (and,
for ``mmpretrain::`` bases, every metafile of MMPretrain) and in temporary files:
:func:`config_loading_cache` memoises both for the duration of one pass.
"""
import inspect
import os
import os.path as osp
import re
import warnings
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.optim.scheduler.param_scheduler import INF
from mmpretrain.registry import MODELS, OPTIMIZERS, PARAM_SCHEDULERS

import kd_plugin.models  # noqa: F401  (registers the losses whose defaults are filled)
from kd_plugin.utils import compat

ROOT = Path(__file__).resolve().parents[2]
TABLE_FILE = 'docs/recipes.md'
Recipe = Dict[str, str]

# Distiller arguments always listed (with their defaults when the config does not set
# them); every other argument the config sets is listed too, except these, which do
# not change what is trained.
DISTILLER_OPTIONS = ('teacher_ckpt', 'teacher_norm_train', 'teacher_precision',
                     'student_precision', 'teacher_input', 'student_loss_weight')
NOT_RECIPE = ('type', 'student', 'teacher', 'distill_losses', 'data_preprocessor',
              'shape_probe', 'teacher_in_checkpoint')
# Constructor arguments that are bookkeeping, not hyper-parameters.
NOT_HYPER_PARAMETERS = ('self', 'params', 'optimizer', 'param_name', 'last_step',
                        'verbose', 'maximize', 'foreach', 'capturable', 'differentiable',
                        'fused')
LOADER_KEYS = ('sampler', 'batch_sampler', 'collate_fn', 'drop_last')
DATASET_CHILDREN = ('dataset', 'datasets', 'pipeline')
GPUS_IN_NAME = re.compile(r'_(\d+)xb(\d+)_')
FENCE = '```'


# ------------------------------------------------------------------ loading
def config_paths(root: Path = ROOT) -> List[Path]:
    """Every config under ``root/configs`` but the ``_base_`` files, sorted."""
    return sorted(
        path for path in (root / 'configs').rglob('*.py')
        if '_base_' not in path.relative_to(root / 'configs').parts)


def load_config(path: Path) -> Config:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # MMEngine's and pkg_resources' deprecations
        return Config.fromfile(str(path), import_custom_modules=False)


# ------------------------------------------------------------------ rendering
def render(value, root: Path = ROOT) -> str:
    """One-line, exact, deterministic text of a config value: ``Type(key=value, ...)``
    for a dict with a ``type``, ``dict(...)`` otherwise, keys sorted; floats by
    ``repr``; paths under ``root`` relative to it."""
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items() if k != 'type')
        if all(key.isidentifier() for key, _ in items):
            body = ', '.join(f'{key}={render(item, root)}' for key, item in items)
        else:
            body = '{' + ', '.join(f'{key!r}: {render(item, root)}'
                                   for key, item in items) + '}'
            return f'{type_name(value["type"])}(**{body})' if 'type' in value else body
        return f'{type_name(value["type"]) if "type" in value else "dict"}({body})'
    if isinstance(value, list):
        return '[' + ', '.join(render(item, root) for item in value) + ']'
    if isinstance(value, tuple):
        items = [render(item, root) for item in value]
        return '(' + ', '.join(items) + (',)' if len(items) == 1 else ')')
    if isinstance(value, str):
        return repr(relative_path(value, root))
    if isinstance(value, type) or callable(value):
        return getattr(value, '__name__', type(value).__name__)
    text = repr(value)
    # An object without a repr of its own prints its address: name its class instead.
    return type(value).__name__ if ' at 0x' in text else text


def type_name(value) -> str:
    return value if isinstance(value, str) else getattr(value, '__name__', repr(value))


def relative_path(text: str, root: Path) -> str:
    """A path under ``root`` (``{{ fileDirname }}`` makes them absolute), relative and
    normalised; any other string unchanged."""
    prefix = str(root) + os.sep
    if text.startswith(prefix):
        return Path(osp.normpath(text)).relative_to(root).as_posix()
    return text


def flatten(prefix: str, value, root: Path) -> Iterator[Tuple[str, str]]:
    """``(field, text)`` pairs: a dict gives its ``type`` under ``prefix`` and one field
    per key (recursively); anything else one field."""
    if isinstance(value, dict) and value:
        if 'type' in value:
            yield prefix, type_name(value['type'])
        for key in sorted((k for k in value if k != 'type'), key=str):
            yield from flatten(f'{prefix}.{key}', value[key], root)
    else:
        yield prefix, render(value, root)


# ------------------------------------------------------------------ defaults
def constructor_defaults(cls) -> Dict[str, object]:
    """The keyword defaults of ``cls.__init__``, less bookkeeping arguments; where it
    passes ``*args`` / ``**kwargs`` on, its bases' defaults too (its own win)."""
    defaults: Dict[str, object] = {}
    for klass in inspect.getmro(cls):
        if '__init__' not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        for parameter in parameters:
            if (parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
                    and parameter.name not in NOT_HYPER_PARAMETERS
                    and parameter.default is not inspect.Parameter.empty):
                defaults.setdefault(parameter.name, parameter.default)
        if not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
            break
    return defaults


def with_defaults(cfg: dict, registry) -> dict:
    """``cfg`` with the defaults of its registered type added; nested typed dicts (a
    wrapper's ``loss=``) likewise. Unknown types stay as written."""
    cfg = {
        key:
        with_defaults(value, registry)
        if isinstance(value, dict) and 'type' in value else value
        for key, value in cfg.items()
    }
    cls = registry.get(cfg['type']) if isinstance(cfg.get('type'), str) else None
    if cls is None:
        return cfg
    defaults = constructor_defaults(cls)
    return {**{k: v for k, v in defaults.items() if k not in cfg}, **cfg}


# ------------------------------------------------------------------ recipes
def plain(value):
    """ConfigDicts as plain dicts, recursively, without the registry scopes
    (``_scope_``) that ``package::`` bases add."""
    if isinstance(value, ConfigDict):
        value = value.to_dict()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    return value


def resolve_recipe(cfg: Config, name: str, root: Path = ROOT) -> Recipe:
    """The recipe of a loaded config (``name``: its file name, for the GPU count)."""
    return dict(recipe_fields(plain(cfg.to_dict()), name, root))


def recipe_fields(cfg: dict, name: str, root: Path) -> Iterator[Tuple[str, str]]:
    model = dict(cfg.get('model') or {})
    yield from model_fields(model, root)
    preprocessor = model.get('data_preprocessor') or cfg.get('data_preprocessor')
    yield from flatten('data_preprocessor', preprocessor, root)
    yield from batch_fields(cfg, name, root)
    yield from optimizer_fields(cfg, root)
    for index, hook in enumerate(cfg.get('custom_hooks') or []):
        yield f'custom_hooks[{index}]', render(hook, root)


def model_fields(model: dict, root: Path) -> Iterator[Tuple[str, str]]:
    if 'student' not in model:  # a classifier trained alone
        yield from flatten('model', with_defaults(model, MODELS), root)
        return
    yield 'model', type_name(model.get('type'))
    for role in ('student', 'teacher'):
        network = model.get(role)
        if isinstance(network, dict):
            network = with_defaults(network, MODELS)
        yield from flatten(f'model.{role}', network, root)
    distiller = MODELS.get(model['type']) if isinstance(model.get('type'), str) else None
    defaults = constructor_defaults(distiller) if distiller else {}
    options = [key for key in DISTILLER_OPTIONS if key in model or key in defaults]
    options += sorted(key for key in model if key not in options + list(NOT_RECIPE))
    for key in options:
        yield from flatten(f'model.{key}', model.get(key, defaults.get(key)), root)
    for loss_name, loss in sorted((model.get('distill_losses') or {}).items()):
        if isinstance(loss, dict):
            loss = with_defaults(loss, MODELS)
        yield from flatten(f'model.distill_losses.{loss_name}', loss, root)


def batch_fields(cfg: dict, name: str, root: Path) -> Iterator[Tuple[str, str]]:
    loader = cfg.get('train_dataloader') or {}
    batch = loader.get('batch_size')
    match = GPUS_IN_NAME.search(name)
    gpus = int(match.group(1)) if match else None
    yield 'gpus (config name)', render(gpus)
    if match and int(match.group(2)) != batch:
        yield 'batch per GPU (config name)', match.group(2)
    yield 'train_dataloader.batch_size', render(batch)
    effective = gpus * batch if gpus and isinstance(batch, int) else None
    yield 'effective batch', render(effective)
    for key in LOADER_KEYS:
        if key in loader:
            yield f'train_dataloader.{key}', render(loader[key], root)
    yield from dataset_fields('train_dataloader.dataset', loader.get('dataset'), root)


def dataset_fields(prefix: str, dataset, root: Path) -> Iterator[Tuple[str, str]]:
    """A dataset (its own arguments on one line), then its pipeline one transform per
    line, then the datasets it wraps or concatenates, recursively."""
    if not isinstance(dataset, dict):
        yield prefix, render(dataset, root)
        return
    yield prefix, render({
        k: v
        for k, v in dataset.items() if k not in DATASET_CHILDREN
    }, root)
    for index, transform in enumerate(dataset.get('pipeline') or []):
        yield f'{prefix}.pipeline[{index}]', render(transform, root)
    if 'dataset' in dataset:
        yield from dataset_fields(f'{prefix}.dataset', dataset['dataset'], root)
    for index, child in enumerate(dataset.get('datasets') or []):
        yield from dataset_fields(f'{prefix}.datasets[{index}]', child, root)


def optimizer_fields(cfg: dict, root: Path) -> Iterator[Tuple[str, str]]:
    wrapper = dict(cfg.get('optim_wrapper') or {})
    optimizer = wrapper.pop('optimizer', None)
    if isinstance(optimizer, dict):
        optimizer = with_defaults(optimizer, OPTIMIZERS)
    yield from flatten('optim_wrapper.optimizer', optimizer, root)
    yield 'optim_wrapper.type', type_name(wrapper.pop('type', 'OptimWrapper'))
    for key in ('paramwise_cfg', 'clip_grad'):
        yield f'optim_wrapper.{key}', render(wrapper.pop(key, None), root)
    for key in sorted(wrapper):
        yield f'optim_wrapper.{key}', render(wrapper[key], root)

    train_cfg = cfg.get('train_cfg') or {}
    schedulers = cfg.get('param_scheduler') or []
    for index, scheduler in enumerate(
            schedulers if isinstance(schedulers, list) else [schedulers]):
        scheduler = with_defaults(dict(scheduler), PARAM_SCHEDULERS)
        by_epoch = scheduler.setdefault('by_epoch', True)
        # Runner._build_param_scheduler: `end` defaults to the loop's length.
        if scheduler.get('end', INF) >= INF:
            scheduler['end'] = train_cfg.get('max_epochs' if by_epoch else 'max_iters')
        yield from flatten(f'param_scheduler[{index}]', scheduler, root)
    yield from flatten('train_cfg', train_cfg, root)
    yield from flatten('auto_scale_lr', cfg.get('auto_scale_lr'), root)


def resolve_all(paths: Sequence[Path],
                root: Path = ROOT) -> Tuple[Dict[str, Recipe], Dict[str, Recipe]]:
    """The recipes of ``paths`` (keyed by their path relative to ``root``) and of the
    model config files their distillers name."""
    recipes: Dict[str, Recipe] = {}
    models: Dict[str, Recipe] = {}
    with compat.memoised_config_loading():
        for path in paths:
            key = Path(path).resolve().relative_to(root).as_posix()
            try:
                cfg = load_config(path)
            except Exception as error:
                raise RuntimeError(f'{key}: Config.fromfile failed: {error}') from error
            recipes[key] = resolve_recipe(cfg, Path(path).name, root)
            for role in ('student', 'teacher'):
                reference = (cfg.get('model') or {}).get(role)
                if isinstance(reference, str):
                    label = relative_path(reference, root)
                    if label not in models:
                        models[label] = model_file_recipe(reference, root)
    return recipes, dict(sorted(models.items()))


def model_file_recipe(reference: str, root: Path) -> Recipe:
    """The resolved ``model`` of a model config file (or ``package::`` config, found
    where ``mmengine.hub.get_config`` finds it)."""
    path = reference
    if '::' in reference:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # pkg_resources' deprecation
            path = compat.package_config_path(reference, str(root))
    model = with_defaults(plain(load_config(Path(path)).to_dict()).get('model'), MODELS)
    return dict(flatten('model', model, root))


# ------------------------------------------------------------------ the table
HEADER = """# Training recipes of every config

Generated by `python tools/analysis/recipe_table.py` from the configs as MMEngine resolves
them (`Config.fromfile`, every `_base_` merged): do not edit by hand. The test suite
(`tests/test_recipe_table.py`) fails when a config's recipe differs from this file;
after an intended change, regenerate it and review the diff. `python
tools/analysis/recipe_table.py --check [CONFIG ...]` names each config and field that
differs.

Each config has one block of `field: value` lines, fields named by their path in the
config: the distiller's models (model config files, resolved at the end of this file),
teacher checkpoint and mode, loss weights and every distillation loss with all its
arguments (defaults of the loss class included); the data preprocessor (normalisation,
0-255 pixel values); GPUs (from the config name), batch per GPU, effective batch, the
training set with its wrappers and pipelines; the optimizer (defaults of its class
included), optimizer wrapper, parameter schedulers (`begin`/`end` as the runner resolves
them, epochs 0-based), training loop, `auto_scale_lr` and custom hooks. Floats are
printed exactly (Python's `repr`).
"""


def summary_row(key: str, recipe: Recipe) -> List[str]:
    """The columns of a config in its folder's summary table."""

    def field(name, default='-'):
        return recipe.get(name, default)

    optimizer = field('optim_wrapper.optimizer')
    extras = []
    momentum = field('optim_wrapper.optimizer.momentum', None)
    if momentum not in (None, '0'):
        extras.append(f'momentum {momentum}')
    if field('optim_wrapper.optimizer.nesterov', 'False') == 'True':
        extras.append('Nesterov')
    if field('optim_wrapper.type') != 'OptimWrapper':
        extras.append(field('optim_wrapper.type'))
    if field('optim_wrapper.clip_grad', 'None') != 'None':
        extras.append(f'clip {field("optim_wrapper.clip_grad")}')
    schedule = []
    index = 0
    while f'param_scheduler[{index}]' in recipe:
        prefix = f'param_scheduler[{index}]'
        text = recipe[prefix]
        if f'{prefix}.milestones' in recipe:
            text += f' {recipe[prefix + ".milestones"]} x{recipe.get(prefix + ".gamma")}'
        schedule.append(f'{text} {recipe.get(prefix + ".begin")}-'
                        f'{recipe.get(prefix + ".end")}')
        index += 1
    losses = []
    for name, value in recipe.items():
        parts = name.split('.')
        if len(parts) == 3 and parts[:2] == ['model', 'distill_losses']:
            weight = recipe.get(f'{name}.loss_weight')
            losses.append(value + (f' x{weight}' if weight else ''))
    batch = f'{field("gpus (config name)")} x {field("train_dataloader.batch_size")}'
    return [
        f'[{Path(key).stem}](#{anchor(key)})',
        ' '.join([optimizer] + ([f'({", ".join(extras)})'] if extras else [])),
        field('optim_wrapper.optimizer.lr'),
        field('optim_wrapper.optimizer.weight_decay'),
        '; '.join(schedule) or '-',
        field('train_cfg.max_epochs'),
        batch,
        ', '.join(losses) or '-',
        field('model.student_loss_weight'),
    ]


def anchor(key: str) -> str:
    """GitHub's anchor of a ``### key`` heading."""
    return re.sub(r'[^a-z0-9_ -]', '', key.lower()).replace(' ', '-')


def render_table(recipes: Dict[str, Recipe], models: Dict[str, Recipe]) -> str:
    lines = [HEADER]
    folders: Dict[str, List[str]] = {}
    for key in sorted(recipes):
        folders.setdefault(Path(key).parent.as_posix(), []).append(key)
    for folder, keys in folders.items():
        lines += [
            f'## {folder}', '', '| config | optimizer | lr | weight decay | schedule | '
            'epochs | GPUs x batch | distillation losses | CE weight |',
            '|---|---|---|---|---|---|---|---|---|'
        ]
        lines += [
            '| ' + ' | '.join(
                cell.replace('|', '\\|')
                for cell in summary_row(key, recipes[key])) + ' |' for key in keys
        ]
        lines.append('')
        for key in keys:
            lines += block(key, recipes[key])
    lines += ['## Model config files', '']
    for key, recipe in models.items():
        lines += block(key, recipe)
    return '\n'.join(lines)


def block(key: str, recipe: Recipe) -> List[str]:
    return [f'### {key}', '', FENCE + 'text'
            ] + [f'{field}: {value}' for field, value in recipe.items()] + [FENCE, '']


def parse_table(text: str) -> Dict[str, Recipe]:
    """The blocks of a table file: ``{config or model file: {field: value}}``."""
    recipes: Dict[str, Recipe] = {}
    current: Optional[Recipe] = None
    key = None
    for line in text.splitlines():
        if line.startswith('### '):
            key = line[4:].strip()
        elif line == FENCE + 'text' and key is not None:
            current = recipes[key] = {}
        elif line == FENCE:
            current, key = None, None
        elif current is not None:
            field, _, value = line.partition(': ')
            current[field] = value
    return recipes


def compare_recipes(committed: Dict[str, Recipe],
                    fresh: Dict[str, Recipe],
                    keys: Optional[Sequence[str]] = None) -> List[str]:
    """One message per difference: configs (or model files) missing on either side,
    then each field whose value differs, is new or is gone, as ``field: old -> new``.
    ``keys`` limits the comparison to those entries."""
    messages = []
    for key in sorted(set(committed) | set(fresh) if keys is None else keys):
        if key not in committed:
            messages.append(f'{key}: not in the table')
            continue
        if key not in fresh:
            messages.append(f'{key}: in the table, but no longer a config')
            continue
        old, new = committed[key], fresh[key]
        changes = []
        for field in list(old) + [f for f in new if f not in old]:
            if field not in new:
                changes.append(f'    {field}: {old[field]} -> (gone)')
            elif field not in old:
                changes.append(f'    {field}: (new) -> {new[field]}')
            elif old[field] != new[field]:
                changes.append(f'    {field}: {old[field]} -> {new[field]}')
        if changes:
            messages.append('\n'.join([f'{key}:'] + changes))
    return messages
