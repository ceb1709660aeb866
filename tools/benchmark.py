"""Time the student step, the teacher forward and the distillation step of a config.

    python tools/benchmark.py CONFIG [--iters N] [--warmup W] [--batch-size B]
        [--image-size S] [--device cpu|cuda] [--amp] [--profile] [--out FILE.json]

The three variants run interleaved in one process on a synthetic batch (the config's
own training pipeline and data preprocessor); checkpoints are dropped, nothing is
downloaded. Prints a markdown table of medians, images/s, peak memory and the ratio
distill / (student + teacher). The logic is in ``kd_plugin/apis/benchmark.py``.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from kd_plugin.apis.benchmark import format_table, profile_distill_step, run_benchmark


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time the student step, the teacher forward and the distillation '
        'step of a config, interleaved in one process, on a synthetic batch.')
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=10, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds first')
    parser.add_argument(
        '--batch-size', type=int, help="default: the config's train batch size")
    parser.add_argument(
        '--image-size',
        type=int,
        help="default: what the config's training pipeline produces "
        '(32 for CIFAR configs, 224 for in1k ones)')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast (bf16 on CPU, fp16 on CUDA) and check that the '
        'losses stay finite')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help="turn the distiller's channels_last option on")
    parser.add_argument(
        '--no-memory',
        action='store_true',
        help='skip the per-variant memory subprocesses')
    parser.add_argument(
        '--no-cached', action='store_true', help='skip the cached-teacher variant')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='also print torch.profiler tables of one step per variant')
    parser.add_argument(
        '--compile',
        action='store_true',
        help="also time every variant with the distiller's compile "
        'option (torch.compile of both feature extractors), '
        'interleaved with the eager ones; the first, compiling call '
        'is reported apart')
    parser.add_argument(
        '--compile-backend',
        default='inductor',
        help='torch.compile backend (default inductor)')
    parser.add_argument(
        '--compile-mode',
        default=None,
        help='torch.compile mode (default, reduce-overhead, '
        'max-autotune)')
    parser.add_argument(
        '--data',
        action='store_true',
        help='also time making one batch in this process (pipeline, '
        'collate, data preprocessor)')
    parser.add_argument(
        '--runner-iters',
        type=int,
        default=0,
        help="also train this many iterations through MMEngine's runner "
        'and report its per-iteration time over the distill step (CPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help="merged into the config, e.g. model.student_precision=bf16")
    parser.add_argument('--out', help='write the report as JSON here')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    report = run_benchmark(
        args.config,
        args.iters,
        args.warmup,
        args.batch_size,
        args.image_size,
        args.device,
        args.amp,
        memory=not args.no_memory,
        cached=not args.no_cached,
        channels_last=args.channels_last,
        compile_cfg=dict(backend=args.compile_backend, mode=args.compile_mode)
        if args.compile else None,
        cfg_options=args.cfg_options,
        data=args.data,
        runner_iters=args.runner_iters)
    print(format_table(report))
    print(f"cache: {report['cache']['status']} ({report['cache']['why']})")
    if report['memory_method']:
        print(f"memory: {report['memory_method']}")
    if args.profile:
        print(
            profile_distill_step(args.config, report['batch_size'], args.image_size,
                                 args.device, args.warmup))
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(report, file, indent=2)
    if not report['losses_finite']:
        raise SystemExit('non-finite loss or output: see the "finite" column')
    return report


if __name__ == '__main__':
    main()
