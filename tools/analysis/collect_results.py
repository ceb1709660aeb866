"""Table of finished (or running) runs next to the top-1 their sources report.

Each WORK_DIR is a run, or a folder searched at any depth for runs (``work_dirs/demo``
holds three; ``tools/reproduce.py`` writes ``<work dir>/<config>/seed<S>``). Per run: the
config MMEngine dumped there (method and pair from its name), the seed it used, the best
and last validation top-1 of ``*/vis_data/scalars.json``, the teacher's top-1 when
``TeacherEvalHook`` logged it, the reported number of
``kd_plugin/data/reported_results/<method>.yml`` for that config, and the work dir.
``--aggregate`` merges the runs of each config into mean ± std (n)::

    python tools/analysis/collect_results.py work_dirs/* --out table.md --csv table.csv
    python tools/analysis/collect_results.py work_dirs/reproduce --aggregate
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from kd_plugin.apis.analysis import (
    AGGREGATE_COLUMNS,
    aggregate,
    aggregate_table,
    find_runs,
    reported_by_config,
    results_table,
    summarize_run,
    write_csv,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'work_dirs',
        nargs='+',
        metavar='WORK_DIR',
        help='a run, or a folder searched for runs at any depth')
    parser.add_argument(
        '--aggregate',
        action='store_true',
        help='one row per config: top-1 as mean ± std (number of runs)')
    parser.add_argument(
        '--out', help='write the Markdown table here (default: stdout only)')
    parser.add_argument('--csv', help='also write the rows as CSV')
    args = parser.parse_args(argv)
    reported = reported_by_config()
    for path in args.work_dirs:
        if not find_runs([path]):
            print(
                f'skipped {path}: no */vis_data/scalars.json in it or below it',
                file=sys.stderr)
    rows = [summarize_run(run, reported) for run in find_runs(args.work_dirs)]
    if args.aggregate:
        rows = aggregate(rows)
        table = aggregate_table(rows)
    else:
        table = results_table(rows)
    print(table, end='')
    if args.out:
        with open(args.out, 'w') as file:
            file.write(table)
    if args.csv:
        write_csv(rows, args.csv, AGGREGATE_COLUMNS if args.aggregate else None)
    return rows


if __name__ == '__main__':
    main()
