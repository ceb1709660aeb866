"""Results of our own on real data for every method family: ``docs/results.md``.

    python tools/benchmark_results.py [--methods kd fitnet ...] [--seeds 0 1 2]
        [--jobs N] [--epochs E] [--reuse] [--out docs/results.md]

On scikit-learn's bundled digits, per seed: a teacher and the student alone once, then
each method's student distilled from that teacher (the CIFAR zoo's ResNet32x4 ->
ResNet8x4 at 1/2 and 1/16 width, every method's recipe from its CIFAR-100 config).
Writes the table (mean ± std top-1, per-seed values, the command, the machine, the wall
time) and a plot next to it. ``make results`` runs it all: about 20 minutes on
two cores. The logic and the rules that carry each method's CIFAR-100 recipe over are in
``kd_plugin/apis/results_benchmark.py``.
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from kd_plugin.apis.results_benchmark import (
    METHODS,
    METHODS_BY_FOLDER,
    PAIRS,
    ROOT,
    machine,
    plot_results,
    results_markdown,
    run_all,
    table_rows,
)
from kd_plugin.utils.vocabulary import closest


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--methods',
        nargs='+',
        metavar='FOLDER',
        help='config folders of the methods to run (default: all): ' +
        ' '.join(method.folder for method in METHODS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument(
        '--jobs',
        type=int,
        default=min(os.cpu_count() or 1, 8),
        help='runs at a time, one process and one torch thread each (default: the '
        'cores, at most 8; 1 runs in this process). Results do not depend on it.')
    parser.add_argument(
        '--epochs',
        type=int,
        help='epochs of every run (default: each pair\'s: ' +
        ', '.join(f'{key} {pair.epochs}' for key, pair in PAIRS.items()) + ')')
    parser.add_argument(
        '--num-train', type=int, default=500, help='training images (the rest test)')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'results'))
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='keep runs of an earlier call that reached their last epoch')
    parser.add_argument('--out', default=osp.join(ROOT, 'docs', 'results.md'))
    args = parser.parse_args(argv)
    for folder in args.methods or []:
        if folder not in METHODS_BY_FOLDER:
            parser.error(f'--methods: no method folder {folder!r} in the benchmark'
                         f'{closest(folder, METHODS_BY_FOLDER)}')
    return args


def command_line(args: argparse.Namespace) -> str:
    """The options that decide the numbers, written out in full."""
    parts = ['python tools/benchmark_results.py']
    if args.methods:
        parts.append('--methods ' + ' '.join(args.methods))
    parts.append('--seeds ' + ' '.join(str(seed) for seed in args.seeds))
    if args.epochs:
        parts.append(f'--epochs {args.epochs}')
    if args.num_train != 500:
        parts.append(f'--num-train {args.num_train}')
    parts.append(f'--jobs {args.jobs}')
    return ' '.join(parts)


def main(argv=None) -> dict:
    args = parse_args(argv)
    methods = [METHODS_BY_FOLDER[folder]
               for folder in args.methods] if args.methods else METHODS
    start = time.perf_counter()
    results = run_all(
        methods,
        args.seeds,
        args.work_dir,
        jobs=args.jobs,
        epochs=args.epochs,
        num_train=args.num_train,
        reuse=args.reuse,
        log=lambda line: print(line, flush=True))
    wall = time.perf_counter() - start
    pairs = [key for key in PAIRS if any(method.pair == key for method in methods)]
    tables = {pair: table_rows(results, methods, pair) for pair in pairs}
    plot_path = osp.splitext(args.out)[0] + '.png'
    plot_results(tables, plot_path)
    text = results_markdown(
        tables,
        command_line(args),
        machine(),
        wall_seconds=wall,
        run_seconds=sum(result.get('seconds') or 0 for result in results.values()),
        runs=len(results),
        reused=sum('seconds' in result and result['seconds'] is None
                   for result in results.values()),
        jobs=args.jobs,
        seeds=args.seeds,
        epochs={
            key: args.epochs or pair.epochs
            for key, pair in PAIRS.items()
        },
        num_train=args.num_train,
        plot_name=osp.basename(plot_path))
    with open(args.out, 'w') as file:
        file.write(text)
    failed = [job for job, result in results.items() if 'error' in result]
    print(f'{args.out} and {plot_path} written ({wall / 60:.1f} min); '
          f'{len(failed)} failed run(s)')
    if failed and __name__ == '__main__':
        sys.exit(1)
    return dict(results=results, tables=tables, markdown=text, plot=plot_path)


if __name__ == '__main__':
    main()
