"""Reading runs and reported numbers: the logic behind ``tools/analysis/``.

* :func:`parse_config_name` splits a config basename
  (``<method>_<teacher>_<student>_<gpus>xb<batch>_<dataset>``) into its parts.
* :func:`load_reported` reads ``kd_plugin/data/reported_results/<method>.yml``: the top-1
  that each method's source reports for a config, with where it comes from.
* :func:`read_scalars` / :func:`summarize_run` read a work dir written by MMEngine's
  ``LocalVisBackend`` (``<work_dir>/<timestamp>/vis_data/scalars.json``, one JSON record
  per line: training records carry ``iter``, validation records ``step`` = epoch) and the
  config dumped at the root of the work dir.
* :func:`find_runs` finds the runs under folders at any depth (``work_dirs/demo/kd``,
  ``work_dirs/NAME/seed1``); :func:`run_seed` reads the seed a run used.
* :func:`aggregate` merges the runs of one config into mean ± std (n).
* :func:`results_table` / :func:`aggregate_table` / :func:`plot_curves` render them.
"""
import ast
import csv
import json
import math
import os
import os.path as osp
import re
from glob import glob
from typing import Dict, List, Optional, Sequence

DATA_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data')
REPORTED_DIR = osp.join(DATA_DIR, 'reported_results')

# Architecture tokens of the config names, longest alternatives first, with display names.
_ARCH_PATTERN = re.compile(
    r'(resnet\d+x4|resnet\d+|wrn_\d+_\d+|vgg\d+|mobilenetv2|mobilenet_v1|shufflev[12]'
    r'|deit3-(?:small|base|large)|deit-(?:tiny|small|base)|regnety160'
    r'|vit-(?:small|base|large)-p\d+(?:-\d+)?)')
_DATASETS = {
    'cifar100': 'CIFAR-100',
    'in1k': 'ImageNet-1k',
    'tinyimagenet': 'Tiny-ImageNet',
    'digits': 'Digits'
}
VAL_KEY = 'accuracy/top1'
TEACHER_KEY = 'teacher/accuracy/top1'


def arch_display_name(token: str, dataset: str = 'cifar100') -> str:
    """``resnet32x4`` -> ``ResNet32x4``, ``wrn_40_2`` -> ``WRN-40-2`` (ImageNet:
    ``ResNet-34``)."""
    match = re.fullmatch(r'resnet(\d+)(x4)?', token)
    if match:
        if dataset == 'in1k':
            return f'ResNet-{match.group(1)}'
        return f'ResNet{match.group(1)}{match.group(2) or ""}'
    match = re.fullmatch(r'wrn_(\d+)_(\d+)', token)
    if match:
        return f'WRN-{match.group(1)}-{match.group(2)}'
    if token.startswith('vgg'):
        return 'VGG' + token[3:]
    match = re.fullmatch(r'deit(3?)-(tiny|small|base|large)', token)
    if match:
        return f'DeiT{" III" if match.group(1) else ""}-{match.group(2).capitalize()}'
    match = re.fullmatch(r'vit-(small|base|large)-p(\d+)(?:-(\d+))?', token)
    if match:
        size = f' at {match.group(3)} px' if match.group(3) else ''
        return f'ViT-{match.group(1)[0].upper()}/{match.group(2)}{size}'
    return {
        'mobilenetv2': 'MobileNetV2',
        'mobilenet_v1': 'MobileNetV1',
        'shufflev1': 'ShuffleNetV1',
        'shufflev2': 'ShuffleNetV2',
        'regnety160': 'RegNetY-16GF'
    }.get(token, token)


def parse_config_name(name: str) -> dict:
    """Parts of a config basename (with or without ``.py``).

    Returns a dict with ``method``, ``teacher`` (None for teacher-free configs),
    ``student`` (display names), ``gpus``, ``batch_size`` (per GPU) and ``dataset``
    (display name). Parts that cannot be read are None.
    """
    name = osp.basename(name)
    if name.endswith('.py'):
        name = name[:-3]
    result = dict(
        method=None, teacher=None, student=None, gpus=None, batch_size=None, dataset=None)
    match = re.fullmatch(r'(.+)_(\d+)xb(\d+)_([a-z0-9]+)', name)
    if not match:
        result['method'] = name.split('_')[0]
        return result
    body, gpus, batch, dataset = match.groups()
    result.update(
        gpus=int(gpus), batch_size=int(batch), dataset=_DATASETS.get(dataset, dataset))
    method, _, archs = body.partition('_')
    result['method'] = method
    tokens = _ARCH_PATTERN.findall(archs)
    if ''.join(tokens).replace('_', '') != archs.replace('_', ''):
        return result  # unknown architecture names: leave the pair unset
    names = [arch_display_name(token, dataset) for token in tokens]
    if len(names) == 2:
        result['teacher'], result['student'] = names
    elif len(names) == 1:
        result['student'] = names[0]
    return result


def load_reported(path: str = REPORTED_DIR) -> List[dict]:
    """Entries of the reported-results files (one ``<method>.yml`` per method in the
    folder ``path``, or a single file), as a list of dicts."""
    import yaml
    files = sorted(glob(osp.join(path, '*.yml'))) if osp.isdir(path) else [path]
    entries = []
    for name in files:
        with open(name) as file:
            entries += yaml.safe_load(file)['results']
    return entries


def reported_by_config(path: str = REPORTED_DIR) -> Dict[str, dict]:
    """Reported entries keyed by config basename."""
    table = {}
    for entry in load_reported(path):
        if entry['config'] in table:
            raise ValueError(f'{entry["config"]} is reported twice in {path}')
        table[entry['config']] = entry
    return table


def scalars_files(work_dir: str) -> List[str]:
    """The run's ``scalars.json`` files, oldest first (one per launch, resumes
    included)."""
    return sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))


def read_scalars(work_dir: str) -> List[dict]:
    """All records of every launch of the run, in order; blank or cut lines are
    skipped."""
    files = scalars_files(work_dir)
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}')
    records = []
    for path in files:
        with open(path) as file:
            for line in file:
                line = line.strip()
                if not line:
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut by a killed run
    return records


def _epoch_end_iters(records: Sequence[dict]) -> Dict[int, int]:
    """Last logged training iteration of each epoch (to place validations on the iter
    axis)."""
    ends = {}
    for record in records:
        if 'iter' in record and 'epoch' in record:
            ends[record['epoch']] = max(ends.get(record['epoch'], 0), record['iter'])
    return ends


def curves(records: Sequence[dict]) -> Dict[str, List[tuple]]:
    """``{key: [(iteration, value), ...]}`` for validation top-1, teacher top-1 and
    losses.

    Training records give each ``loss*`` term at its ``iter``. Validation records (no
    ``iter``) give ``accuracy/top1`` / ``teacher/accuracy/top1`` at ``step``: the epoch
    for
    epoch-based loops, placed at that epoch's last logged iteration; iteration-based
    loops already log the iteration. A later launch (resume) overrides the same point.
    """
    ends = _epoch_end_iters(records)
    by_epoch = bool(ends)
    result: Dict[str, Dict[int, float]] = {}
    for record in records:
        if 'iter' in record:
            for key, value in record.items():
                if key.startswith('loss'):
                    result.setdefault(key, {})[record['iter']] = value
        else:
            for key in (VAL_KEY, TEACHER_KEY):
                if key in record:
                    step = record.get('step')
                    x = ends.get(step, step) if by_epoch else step
                    result.setdefault(key, {})[x] = record[key]
    return {key: sorted(points.items()) for key, points in result.items()}


def val_history(records: Sequence[dict], key: str = VAL_KEY) -> List[tuple]:
    """``[(step, value)]`` of a validation metric (step = epoch for epoch-based loops)."""
    points = {}
    for record in records:
        if 'iter' not in record and key in record:
            points[record.get('step')] = record[key]
    return sorted(points.items())


def is_run(path: str) -> bool:
    """Whether MMEngine logged into ``path`` (it has ``*/vis_data/scalars.json``)."""
    return bool(scalars_files(path))


def find_runs(paths: Sequence[str]) -> List[str]:
    """The runs in ``paths``: a path that is a run, else every run below it, any depth.

    A run's own subfolders are not searched (they are its launches). Runs come in sorted
    order, each once.
    """
    runs: List[str] = []
    for path in paths:
        if is_run(path):
            runs.append(path)
        elif osp.isdir(path):
            for root, folders, _ in os.walk(path):
                folders.sort()
                if root != path and is_run(root):
                    runs.append(root)
                    folders.clear()
    return list(dict.fromkeys(osp.normpath(run) for run in runs))


def _literal_assignment(config_path: str, name: str):
    """The literal value of a top-level ``name = ...`` of a dumped config (``dict(...)``
    calls included), or None."""
    try:
        with open(config_path) as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == name):
            return _literal(node.value)
    return None


def _literal(node):
    if isinstance(node, ast.Call) and isinstance(node.func,
                                                 ast.Name) and node.func.id == 'dict':
        if node.args:
            return None
        return {keyword.arg: _literal(keyword.value) for keyword in node.keywords}
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def run_seed(work_dir: str) -> Optional[int]:
    """The seed of the run: what the first launch's log says MMEngine used (a config
    with ``seed=None`` draws one), else ``randomness.seed`` of the dumped config."""
    for scalars in scalars_files(work_dir):
        launch = osp.dirname(osp.dirname(scalars))
        log = osp.join(launch, osp.basename(launch) + '.log')
        if osp.isfile(log):
            with open(log, errors='replace') as file:
                match = re.search(r'^\s*seed: (\d+)\s*$', file.read(), re.MULTILINE)
            if match:
                return int(match.group(1))
    config = find_config(work_dir)
    randomness = _literal_assignment(config, 'randomness') if config else None
    if isinstance(randomness, dict) and isinstance(randomness.get('seed'), int):
        return randomness['seed']
    return None


def find_config(work_dir: str) -> Optional[str]:
    """The config MMEngine dumped at the root of the work dir (newest if several)."""
    configs = glob(osp.join(work_dir, '*.py'))
    return max(configs, key=osp.getmtime) if configs else None


def config_row(name: str, reported: Optional[Dict[str, dict]] = None) -> dict:
    """What a config's name tells (method, pair, dataset) and its reported top-1 with
    its source: the columns of a :func:`summarize_run` row that need no run."""
    if reported is None:
        reported = reported_by_config()
    parts = parse_config_name(name)
    entry = reported.get(name)
    pair = None
    if parts['student']:
        pair = f'{parts["teacher"] or "none"} -> {parts["student"]}'
    return dict(
        config=name,
        method=parts['method'],
        pair=pair,
        dataset=parts['dataset'],
        reported_top1=entry['top1'] if entry else None,
        reported_source=entry['source'] if entry else None)


def summarize_run(work_dir: str, reported: Optional[Dict[str, dict]] = None) -> dict:
    """One row: config, seed, method, pair, dataset, epochs run, best / last val top-1,
    reported, work dir."""
    if reported is None:
        reported = reported_by_config()
    config = find_config(work_dir)
    name = osp.basename(config)[:-3] if config else osp.basename(osp.normpath(work_dir))
    records = read_scalars(work_dir)
    history = val_history(records)
    teacher = val_history(records, TEACHER_KEY)
    row = dict(work_dir=work_dir, **config_row(name, reported))
    row.update(
        seed=run_seed(work_dir),
        epochs=history[-1][0] if history else None,
        best_top1=max(value for _, value in history) if history else None,
        last_top1=history[-1][1] if history else None,
        teacher_top1=teacher[-1][1] if teacher else None)
    if row['best_top1'] is not None and row['reported_top1'] is not None:
        row['gap'] = round(row['best_top1'] - row['reported_top1'], 2)
    else:
        row['gap'] = None
    return row


COLUMNS = [
    'config', 'seed', 'method', 'pair', 'dataset', 'epochs', 'best_top1', 'last_top1',
    'teacher_top1', 'reported_top1', 'gap', 'reported_source', 'work_dir'
]
AGGREGATE_COLUMNS = [
    'config', 'method', 'pair', 'dataset', 'n', 'seeds', 'epochs', 'best_top1',
    'last_top1', 'teacher_top1', 'reported_top1', 'gap', 'reported_source'
]
MEAN_KEYS = ('best_top1', 'last_top1', 'teacher_top1')


class MeanStd:
    """Mean ± sample standard deviation (n - 1 in the denominator) of ``n`` values."""

    def __init__(self, values: Sequence[float]) -> None:
        self.n = len(values)
        self.mean = sum(values) / self.n
        self.std = math.sqrt(sum(
            (v - self.mean)**2 for v in values) / (self.n - 1)) if self.n > 1 else None

    def __str__(self) -> str:
        if self.std is None:
            return f'{self.mean:.2f} (1)'
        return f'{self.mean:.2f} ± {self.std:.2f} ({self.n})'


def aggregate(rows: Sequence[dict], key: str = 'config') -> List[dict]:
    """Merge the rows of runs that share ``key`` (the config, by default): best / last /
    teacher top-1 become :class:`MeanStd` over the runs that logged them, ``seeds`` lists
    the runs' seeds, ``gap`` is the mean best top-1 minus the reported number.

    Groups keep the order of their first row.
    """
    groups: Dict[str, List[dict]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    merged = []
    for runs in groups.values():
        first = runs[0]
        out = {column: first.get(column) for column in AGGREGATE_COLUMNS}
        out.update(
            n=len(runs),
            seeds=','.join('?' if run.get('seed') is None else str(run['seed'])
                           for run in runs),
            epochs=max((run['epochs'] for run in runs if run.get('epochs') is not None),
                       default=None),
            work_dirs=[run.get('work_dir') for run in runs])
        for name in MEAN_KEYS:
            values = [run[name] for run in runs if run.get(name) is not None]
            out[name] = MeanStd(values) if values else None
        best, reported = out['best_top1'], out['reported_top1']
        out['gap'] = round(best.mean - reported,
                           2) if best is not None and reported is not None else None
        merged.append(out)
    return merged


def _cell(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.2f}'
    return str(value)


def results_table(rows: Sequence[dict], columns: Sequence[str] = COLUMNS) -> str:
    """Markdown table of :func:`summarize_run` rows (or of :func:`aggregate` rows with
    ``columns=AGGREGATE_COLUMNS``: :func:`aggregate_table`)."""
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    for row in rows:
        lines.append('| ' + ' | '.join(_cell(row.get(key)) for key in columns) + ' |')
    return '\n'.join(lines) + '\n'


def aggregate_table(rows: Sequence[dict]) -> str:
    """Markdown table of :func:`aggregate` rows: top-1 as mean ± std (n)."""
    return results_table(rows, AGGREGATE_COLUMNS)


def write_csv(rows: Sequence[dict],
              path: str,
              columns: Optional[Sequence[str]] = None) -> None:
    """Rows as CSV (``columns`` default to :data:`COLUMNS`); :class:`MeanStd` cells
    become ``<key>_mean``, ``<key>_std`` and ``<key>_n`` columns."""
    columns = columns or COLUMNS
    fields: List[str] = []
    for key in columns:
        if any(isinstance(row.get(key), MeanStd) for row in rows):
            fields += [f'{key}_mean', f'{key}_std', f'{key}_n']
        else:
            fields.append(key)
    with open(path, 'w', newline='') as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            out = {}
            for key in columns:
                value = row.get(key)
                if f'{key}_mean' in fields:
                    stats = value if isinstance(value, MeanStd) else None
                    out[f'{key}_mean'] = stats.mean if stats else None
                    out[f'{key}_std'] = stats.std if stats else None
                    out[f'{key}_n'] = stats.n if stats else None
                else:
                    out[key] = value
            writer.writerow(out)


def plot_curves(work_dir: str, out: str, title: Optional[str] = None) -> List[str]:
    """Accuracy (student, teacher if logged) and loss terms over iterations; returns the
    keys."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    data = curves(read_scalars(work_dir))
    losses = sorted(key for key in data if key.startswith('loss'))
    figure, (acc_axes, loss_axes) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in ((VAL_KEY, 'student val top-1'), (TEACHER_KEY,
                                                        'teacher val top-1')):
        if data.get(key):
            acc_axes.plot(*zip(*data[key]), marker='.', label=label)
    acc_axes.set(xlabel='iteration', ylabel='top-1 (%)', title='validation accuracy')
    for key in losses:
        loss_axes.plot(*zip(*data[key]), label=key, linewidth=1)
    loss_axes.set(xlabel='iteration', ylabel='loss', title='training losses')
    for axes in (acc_axes, loss_axes):
        axes.grid(alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=8)
    config = find_config(work_dir)
    figure.suptitle(title or (osp.basename(config)[:-3] if config else work_dir))
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return [key for key in (VAL_KEY, TEACHER_KEY) if data.get(key)] + losses
