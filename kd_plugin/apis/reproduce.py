"""Run a paper's table and put our numbers next to the paper's (``tools/reproduce.py``).

A *table* is a set of configs. Named tables (:data:`TABLES`) are data: the configs whose
entry in ``kd_plugin/data/reported_results/`` cites a source (in its ``source`` or
``note``) for a dataset, e.g. ``mdistiller-cifar100``: every CIFAR-100 number taken from
mdistiller's README table. A glob of config files or a method's folder name works too.

Each config runs once per seed with ``--cfg-options randomness.seed=S`` in its own work
dir, ``<work root>/<config>/seed<S>`` (tables that share a config share its runs):

* on one machine with ``gpus`` GPUs: each run takes the GPUs its config name asks for
  (``1xb64`` -> 1, ``8xb32`` -> 8; fewer if the machine has fewer, with a warning, since
  the total batch then changes), through ``tools/train.py`` (1 GPU) or
  ``tools/dist_train.sh`` (several); runs that fit side by side run at once, each with
  its own ``CUDA_VISIBLE_DEVICES`` and port;
* on slurm: one ``tools/slurm_train.sh`` job per run, ``max_jobs`` at a time.

A run that reached its last epoch is not run again; one that stopped early continues
with ``--resume``. Then the runs are read back (:mod:`kd_plugin.apis.analysis`:
seed, best / last top-1) and merged per config as mean ± std (n), next to the reported
number and its source.
"""
import glob
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from kd_plugin.apis.analysis import (
    aggregate,
    config_row,
    load_reported,
    parse_config_name,
    read_scalars,
    reported_by_config,
    results_table,
    summarize_run,
    val_history,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIRST_PORT = 29500


@dataclass(frozen=True)
class Table:
    """The configs whose reported number cites ``cites`` (any of them, in the entry's
    ``source`` or ``note``) on ``dataset``."""
    name: str
    title: str
    dataset: str
    cites: Tuple[str, ...]


TABLES = {
    table.name: table
    for table in (
        Table('mdistiller-cifar100', "mdistiller's CIFAR-100 table", 'CIFAR-100', (
            'megvii-research/mdistiller@a08d46f:README.md', )),
        Table('mdistiller-imagenet', "mdistiller's ImageNet table", 'ImageNet-1k', (
            'megvii-research/mdistiller@a08d46f:README.md', )),
        Table('crd-cifar100', 'CRD paper, Tables 1-2 (RepDistiller README)', 'CIFAR-100',
              ('HobbitLong/RepDistiller@b84f547:README.md', )),
        Table('dkd-cifar100', 'DKD paper, CIFAR-100 tables (DKD, OFD)', 'CIFAR-100', (
            'DKD paper', )),
        Table('ls-cifar100', 'Logit standardization, CIFAR-100 tables', 'CIFAR-100', (
            'sunshangquan/logit-standardization-KD', )),
        Table('sdd-cifar100', 'SDD, CIFAR-100 table', 'CIFAR-100', (
            'shicaiwei123/SDD-CVPR2024', )),
        Table('reviewkd-cifar100', 'ReviewKD, CIFAR-100 table', 'CIFAR-100', (
            'dvlab-research/ReviewKD', )),
        Table('streamlined-cifar100', 'Streamlined KD (SKD, CLKD), CIFAR-100 table',
              'CIFAR-100', ('HyunJunSik/StreamLined', )),
        Table('dist-cifar100', 'DIST, CIFAR-100 table', 'CIFAR-100', ('hunto/DIST_KD', )),
        Table('ctkd-cifar100', 'CTKD, CIFAR-100 table', 'CIFAR-100', (
            'zhengli97/CTKD', )),
        Table('imagenet', 'every ImageNet-1k number', 'ImageNet-1k', ('', )),
    )
}


def config_path(name: str) -> str:
    """``configs/<folder>/<name>.py`` of a config basename (relative to the root)."""
    found = glob.glob(osp.join(ROOT, 'configs', '*', f'{name}.py'))
    if len(found) != 1:
        raise FileNotFoundError(
            f'config {name!r}: {len(found)} files configs/*/{name}.py')
    return osp.relpath(found[0], ROOT)


def table_configs(table: Table, reported: Optional[Sequence[dict]] = None) -> List[str]:
    """The configs of a named table, in the order of the reported-results files."""
    entries = load_reported() if reported is None else reported
    return [
        config_path(entry['config']) for entry in entries
        if entry['dataset'] == table.dataset and any(
            cite in entry['source'] or cite in (entry.get('note') or '')
            for cite in table.cites)
    ]


def select(specs: Sequence[str]) -> Tuple[str, List[str]]:
    """``(name, configs)`` for a table name, a method folder, or config paths / globs
    (relative to the repository root or the working directory); several specs: their
    union, named ``selection``."""
    if len(specs) > 1:
        configs = [config for spec in specs for config in select([spec])[1]]
        return 'selection', list(dict.fromkeys(configs))
    spec = specs[0]
    if spec in TABLES:
        return spec, table_configs(TABLES[spec])
    if osp.isdir(osp.join(ROOT, 'configs', spec)) and spec != '_base_':
        configs = sorted(glob.glob(osp.join(ROOT, 'configs', spec, '*.py')))
        return spec, [osp.relpath(path, ROOT) for path in configs]
    paths = sorted(glob.glob(spec)) or sorted(glob.glob(osp.join(ROOT, spec)))
    paths = [path for path in paths if path.endswith('.py')]
    if paths:
        name = osp.basename(paths[0])[:-3] if len(paths) == 1 else 'selection'
        return name, [osp.relpath(osp.abspath(path), ROOT) for path in paths]
    from kd_plugin.utils.vocabulary import closest
    folders = [osp.basename(path) for path in glob.glob(osp.join(ROOT, 'configs', '*'))]
    raise ValueError(f'{spec!r} is no table ({", ".join(TABLES)}), method folder or '
                     f'config file{closest(spec, list(TABLES) + folders)}')


@dataclass
class Run:
    """One (config, seed) of the table."""
    config: str  # relative to the repository root
    seed: int
    work_dir: str
    gpus: int  # what the config's name asks for
    status: str = 'new'  # 'done' | 'partial' (continues with --resume) | 'new'
    options: Tuple[str, ...] = ()  # more ``--cfg-options`` (``key=value``), every run's
    command: List[str] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return osp.basename(self.config)[:-3]


def parse_options(options: Sequence[str]) -> dict:
    """``key=value`` strings as ``tools/train.py --cfg-options`` reads them (MMEngine's
    ``DictAction``, applied to them directly)."""
    from types import SimpleNamespace

    from mmengine.config import DictAction
    parsed = SimpleNamespace(cfg_options={})
    if options:
        DictAction(option_strings=[], dest='cfg_options')(None, parsed, list(options))
    return parsed.cfg_options


def run_status(config: str, work_dir: str, options: Sequence[str] = ()) -> str:
    """``done`` when the run validated at its last epoch (or iteration, as ``options``
    leave them), ``partial`` when it has logs or checkpoints, ``new`` otherwise."""
    if not osp.isdir(work_dir):
        return 'new'
    try:
        history = val_history(read_scalars(work_dir))
    except FileNotFoundError:
        history = []
    if history:
        from mmengine.config import Config
        cfg = Config.fromfile(osp.join(ROOT, config))
        cfg.merge_from_dict(parse_options(options))
        train_cfg = cfg.get('train_cfg') or {}
        last = train_cfg.get('max_epochs', train_cfg.get('max_iters'))
        if last is not None and history[-1][0] >= last:
            return 'done'
        return 'partial'
    return 'partial' if glob.glob(osp.join(work_dir, '*.pth')) else 'new'


def plan(configs: Sequence[str],
         seeds: Sequence[int],
         work_root: str,
         options: Sequence[str] = ()) -> List[Run]:
    """Every (config, seed) with its status: every config's first seed, then every
    config's second seed... (a table fills in early). ``options``: more
    ``--cfg-options`` for every run."""
    runs = []
    for seed in seeds:
        for config in configs:
            stem = osp.basename(config)[:-3]
            work_dir = osp.join(work_root, stem, f'seed{seed}')
            runs.append(
                Run(config, seed, work_dir,
                    parse_config_name(stem)['gpus'] or 1,
                    run_status(config, work_dir, options), tuple(options)))
    return runs


def train_arguments(run: Run) -> List[str]:
    """What ``tools/train.py`` gets besides the config: the seed (and the run's other
    options), and --resume."""
    arguments = ['--cfg-options', f'randomness.seed={run.seed}', *run.options]
    return arguments + (['--resume'] if run.status == 'partial' else [])


def slurm_command(run: Run, partition: str, gpus_per_node: int) -> None:
    per_node = min(run.gpus, gpus_per_node)
    run.env = dict(GPUS=str(run.gpus), GPUS_PER_NODE=str(per_node))
    run.command = [
        'tools/slurm_train.sh', partition, f'{run.stem}-s{run.seed}', run.config,
        run.work_dir
    ] + train_arguments(run)


def local_command(run: Run, devices: Sequence[int]) -> None:
    """The command of ``run`` on ``devices`` (GPU ids; empty: the CPU)."""
    run.env = {'CUDA_VISIBLE_DEVICES': ','.join(map(str, devices))} if devices else {}
    if len(devices) > 1:
        run.env['PORT'] = str(FIRST_PORT + devices[0])
        run.command = ['tools/dist_train.sh', run.config, str(len(devices))]
    else:
        run.command = [sys.executable, 'tools/train.py', run.config]
    run.command += ['--work-dir', run.work_dir] + train_arguments(run)


def shell_line(run: Run) -> str:
    env = ' '.join(f'{key}={value}' for key, value in run.env.items())
    return (env + ' ' if env else '') + shlex.join(run.command)


def gpu_warnings(runs: Sequence[Run], gpus: int, slurm: bool) -> List[str]:
    """Configs asking for more GPUs than the machine has (the total batch changes)."""
    if slurm:
        return []
    warnings = []
    for config in dict.fromkeys(run.config for run in runs if run.gpus > max(gpus, 1)):
        asked = next(run.gpus for run in runs if run.config == config)
        warnings.append(f'{config} is set for {asked} GPUs; on {max(gpus, 1)} its total '
                        'batch is smaller: add --auto-scale-lr to its command or run it '
                        'where it fits')
    return warnings


def launch_local(runs: Sequence[Run], gpus: int, dry_run: bool, log=print) -> List[Run]:
    """Run (or, ``dry_run``, print) every pending run, as many at once as the GPUs hold
    (``gpus=0``: on the CPU, one at a time); returns the runs that failed."""
    cpu = -1  # the one slot of a machine without GPUs
    free = list(range(gpus)) if gpus > 0 else [cpu]
    running: List[Tuple[Optional[subprocess.Popen], Run, List[int]]] = []
    failed = []

    def reap(block: bool) -> None:
        while running:
            for entry in list(running):
                process, run, devices = entry
                if process is None or process.poll() is not None:  # a dry run's: done
                    running.remove(entry)
                    free.extend(devices)
                    free.sort()
                    if process is not None and process.returncode:
                        failed.append(run)
                        log(f'FAILED ({process.returncode}): {run.stem} seed {run.seed}')
            if not block or not running:
                return
            time.sleep(5)

    for run in runs:
        if run.status == 'done':
            continue
        need = min(run.gpus, gpus) if gpus > 0 else 1
        while len(free) < need:
            if dry_run:  # as if the oldest run had finished
                free.extend(running.pop(0)[2])
                free.sort()
            else:
                reap(block=False)
                if len(free) < need:
                    time.sleep(5)
        devices, free[:] = free[:need], free[need:]
        local_command(run, [device for device in devices if device != cpu])
        log(shell_line(run))
        running.append((None if dry_run else _start(run), run, devices))
    if not dry_run:
        reap(block=True)
    return failed


def launch_slurm(runs: Sequence[Run],
                 partition: str,
                 gpus_per_node: int,
                 max_jobs: int,
                 dry_run: bool,
                 log=print) -> List[Run]:
    """One ``slurm_train.sh`` per pending run, ``max_jobs`` at a time."""
    running: List[Tuple[subprocess.Popen, Run]] = []
    failed = []
    for run in runs:
        if run.status == 'done':
            continue
        slurm_command(run, partition, gpus_per_node)
        log(shell_line(run))
        if dry_run:
            continue
        while len(running) >= max_jobs:
            time.sleep(5)
            for entry in list(running):
                if entry[0].poll() is not None:
                    running.remove(entry)
                    if entry[0].returncode:
                        failed.append(entry[1])
        running.append((_start(run), run))
    for process, run in running:
        if process.wait():
            failed.append(run)
    return failed


def _start(run: Run) -> subprocess.Popen:
    """Start a run from the repository root; its output goes to ``<work dir>.log``."""
    os.makedirs(osp.dirname(osp.abspath(run.work_dir)), exist_ok=True)
    output = open(osp.abspath(run.work_dir) + '.log', 'a')
    return subprocess.Popen(
        run.command,
        cwd=ROOT,
        env=dict(os.environ, **run.env),
        stdout=output,
        stderr=subprocess.STDOUT)


def smoke_runs(runs: Sequence[Run], log=print) -> List[Run]:
    """Every pending run as a smoke run (a few iterations on synthetic data, CPU, in
    this process) in its work dir, with its seed: checks the table's configs and this
    kit before GPU time is spent."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from kd_plugin.apis.smoke import build_smoke_teacher_cache, smoke_config
    failed = []
    for run in runs:
        if run.status == 'done':
            continue
        log(f'smoke: {run.config} seed {run.seed} -> {run.work_dir}')
        try:
            cfg = Config.fromfile(osp.join(ROOT, run.config))
            cfg.merge_from_dict(parse_options(run.options))
            cfg = smoke_config(cfg, iters=2, batch_size=2, work_dir=run.work_dir)
            cfg.randomness = dict(seed=run.seed)
            build_smoke_teacher_cache(cfg)
            Runner.from_cfg(cfg).train()
        except Exception as error:
            failed.append(run)
            log(f'FAILED: {run.stem} seed {run.seed}: {type(error).__name__}: {error}')
    return failed


# The table's columns, each with the key of the :func:`~kd_plugin.apis.analysis.aggregate`
# row it shows (``seeds``: the seeds that logged a validation, of the planned ones).
COLUMNS = ('config', 'pair', 'dataset', 'seeds', 'ours best', 'ours last', 'reported',
           'best - reported', 'source')
AGGREGATE_KEYS = ('config', 'pair', 'dataset', 'seeds', 'best_top1', 'last_top1',
                  'reported_top1', 'gap', 'reported_source')


def results_rows(runs: Sequence[Run],
                 reported: Optional[Dict[str, dict]] = None) -> List[dict]:
    """One row per config (table order): ours over the seeds that logged a validation,
    as mean ± std (n) (:func:`~kd_plugin.apis.analysis.aggregate` of their
    :func:`~kd_plugin.apis.analysis.summarize_run` rows), next to the reported top-1."""
    reported = reported_by_config() if reported is None else reported
    summaries = []
    for run in runs:
        try:
            summary = summarize_run(run.work_dir, reported)
        except FileNotFoundError:
            continue  # not run (yet)
        if summary['best_top1'] is not None:
            summaries.append(summary)
    merged = {row['config']: row for row in aggregate(summaries)}
    rows = []
    for config in dict.fromkeys(run.config for run in runs):
        stem = osp.basename(config)[:-3]
        row = merged.get(stem) or config_row(stem, reported)
        planned = ','.join(str(run.seed) for run in runs if run.config == config)
        row = dict(row, seeds=f'{row.get("seeds") or "none"} of {planned}')
        rows.append({
            column: row.get(key)
            for column, key in zip(COLUMNS, AGGREGATE_KEYS)
        })
    return rows


def markdown(rows: Sequence[dict], title: str) -> str:
    """The page: ``title``, what the numbers are, and the rows as
    :func:`~kd_plugin.apis.analysis.results_table` renders them."""
    return '\n'.join([
        f'# {title}', '',
        'Ours: top-1 over the seeds, mean ± std (n); best = best validation over '
        'training, last = after the last epoch (each source says which it reports, in '
        'the note of kd_plugin/data/reported_results/<method>.yml).', '',
        results_table(rows, COLUMNS)
    ])
