"""Run a paper's table (or a method's row) over several seeds; ours next to theirs.

    python tools/reproduce.py TABLE [TABLE ...] [--gpus N | --slurm PARTITION]
        [--seeds 3] [--work-dir work_dirs/reproduce] [--dry-run] [--smoke]

TABLE: a named table (``--list`` shows them: the configs whose reported number cites
that source, e.g. ``mdistiller-cifar100``), a method folder (``dkd``) or config files
(a glob: ``'configs/dkd/*resnet32x4*.py'``); several: their union. Each config runs
once per seed (seeds 0 to N-1, ``--cfg-options randomness.seed=S``) in
``WORK_DIR/<config>/seed<S>`` (tables that share a config share its runs): on this
machine's GPUs (``tools/train.py`` / ``tools/dist_train.sh``, runs side by side when
they fit) or as slurm jobs (``tools/slurm_train.sh``). Finished runs are kept,
interrupted ones resume. Then the table is written to ``WORK_DIR/<table>.md``: per
config, our best and last top-1 as mean ± std (n) next to the reported number and its
source. ``--dry-run`` prints every command and the table as it stands (nothing runs);
``--smoke`` runs every (config, seed) as a CPU smoke run (synthetic data, a few
iterations) to check the configs and the kit. Logic: ``kd_plugin/apis/reproduce.py``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from kd_plugin.apis.reproduce import (
    ROOT,
    TABLES,
    gpu_warnings,
    launch_local,
    launch_slurm,
    markdown,
    plan,
    results_rows,
    select,
    smoke_runs,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog='Tables: ' + '; '.join(f'{name} ({table.title})'
                                      for name, table in TABLES.items()))
    parser.add_argument('table', nargs='*', metavar='TABLE')
    parser.add_argument('--list', action='store_true', help='list the named tables')
    parser.add_argument(
        '--gpus',
        type=int,
        default=None,
        help='GPUs of this machine (default 1; 0: CPU); slurm: GPUs per node '
        '(default 8)')
    parser.add_argument('--slurm', metavar='PARTITION', help='submit slurm jobs')
    parser.add_argument(
        '--max-jobs', type=int, default=8, help='slurm jobs at a time (default 8)')
    parser.add_argument('--seeds', type=int, default=3, help='seeds 0 .. N-1')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'reproduce'))
    parser.add_argument('--out', help='the table (default WORK_DIR/<table>.md)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='passed to every run\'s tools/train.py --cfg-options (after the seed)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        '--dry-run', action='store_true', help='print the commands and the table only')
    mode.add_argument(
        '--smoke', action='store_true', help='CPU smoke runs instead of training')
    args = parser.parse_args(argv)
    if not args.list and not args.table:
        parser.error('TABLE is required (--list shows the named tables)')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.list:
        for name, table in TABLES.items():
            print(f'{name}: {table.title} ({table.dataset})')
        return {}
    if args.gpus is None:
        args.gpus = 8 if args.slurm else 1
    name, configs = select(args.table)
    runs = plan(configs, range(args.seeds), args.work_dir, args.cfg_options)
    counts = {
        status: sum(run.status == status for run in runs)
        for status in ('done', 'partial', 'new')
    }
    where = (f'slurm partition {args.slurm}'
             if args.slurm else f'{args.gpus} GPU(s)' if args.gpus else 'the CPU')
    if args.smoke:
        where = 'CPU smoke runs'
    print(f'{name}: {len(configs)} configs x {args.seeds} seeds = {len(runs)} runs '
          f'({counts["done"]} done, {counts["partial"]} to resume, {counts["new"]} new) '
          f'on {where}; work dirs under {args.work_dir}')
    for warning in gpu_warnings(runs, args.gpus, bool(args.slurm or args.smoke)):
        print(f'warning: {warning}')
    if args.smoke:
        failed = smoke_runs(runs)
    elif args.slurm:
        failed = launch_slurm(runs, args.slurm, args.gpus, args.max_jobs, args.dry_run)
    else:
        failed = launch_local(runs, args.gpus, args.dry_run)
    title = TABLES[name].title if name in TABLES else 'Configs: ' + ' '.join(args.table)
    rows = results_rows(runs)
    text = markdown(rows, f'{title}: ours next to the reported numbers')
    print('\n' + text, end='')
    if not args.dry_run:
        out = args.out or osp.join(args.work_dir, f'{name}.md')
        with open(out, 'w') as file:
            file.write(text)
        print(f'written to {out}; {len(failed)} run(s) failed')
    if failed and __name__ == '__main__':
        sys.exit(1)
    return dict(runs=runs, rows=rows, markdown=text, failed=failed)


if __name__ == '__main__':
    main()
