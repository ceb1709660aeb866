"""Table of finished (or running) runs next to the top-1 their sources report.

For each work dir: the config MMEngine dumped there (method and pair from its name), the
best and last validation top-1 of ``*/vis_data/scalars.json``, the teacher's top-1 when
``TeacherEvalHook`` logged it, and the reported number of
``kd_plugin/data/reported_results/<method>.yml`` for that config::

    python tools/analysis/collect_results.py work_dirs/* --out table.md --csv table.csv
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from kd_plugin.apis.analysis import (
    reported_by_config,
    results_table,
    scalars_files,
    summarize_run,
    write_csv,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR')
    parser.add_argument(
        '--out', help='write the Markdown table here (default: stdout only)')
    parser.add_argument('--csv', help='also write the rows as CSV')
    args = parser.parse_args(argv)
    reported = reported_by_config()
    rows = []
    for work_dir in args.work_dirs:
        if not scalars_files(work_dir):
            print(f'skipped {work_dir}: no */vis_data/scalars.json', file=sys.stderr)
            continue
        rows.append(summarize_run(work_dir, reported))
    table = results_table(rows)
    print(table, end='')
    if args.out:
        with open(args.out, 'w') as file:
            file.write(table)
    if args.csv:
        write_csv(rows, args.csv)
    return rows


if __name__ == '__main__':
    main()
