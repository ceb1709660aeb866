"""Cache the teacher's logits of every view of every training image.

    python tools/build_teacher_cache.py CONFIG [--topk K] [--out FILE] [--workers W]
        [--overwrite]

The config's training pipeline must use RecordedRandomCrop (CIFAR) or
RecordedRandomResizedCrop (ImageNet: its crop boxes are stored too), RecordedRandomFlip,
and PackInputs keeping 'view_id'; train with model.teacher_cache=FILE. Re-running an
interrupted build resumes it. An existing FILE built from other inputs (training set,
teacher, views, top-k) is refused unless --overwrite. Prints the cache's size on disk
and the build time. See kd_plugin/apis/teacher_cache.py.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch

from kd_plugin.apis.teacher_cache import build_teacher_cache, describe


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--topk',
        type=int,
        help='keep the k largest logits per view '
        '(values + indices); default: all logits')
    parser.add_argument(
        '--out',
        help='cache file (default: work_dirs/<config name>/'
        'teacher_cache[_topK].pth)')
    parser.add_argument('--batch-size', type=int, default=256, help='views per forward')
    parser.add_argument(
        '--chunk-size',
        type=int,
        default=256,
        help='samples per chunk file (the unit of resumption)')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--workers',
        type=int,
        help='DataLoader workers loading and '
        "replaying images (default: the training dataloader's num_workers)")
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing FILE built from other inputs (or broken) and discard '
        'the partial chunks of another build')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or osp.join(
        'work_dirs', name, f'teacher_cache{f"_top{args.topk}" if args.topk else ""}.pth')
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    report = build_teacher_cache(
        args.config,
        out,
        topk=args.topk,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        device=args.device,
        num_workers=args.workers,
        overwrite=args.overwrite)
    state = 'complete' if report['complete'] else 'partial'
    print(
        f"{state}: {out}: {describe(report)}; {report['bytes'] / 2**20:.1f} MiB on disk; "
        f"{report['build_s']:.1f} s in this run ({report['chunks_computed']} chunks "
        f"computed, {report['chunks_skipped']} reused)")
    return report


if __name__ == '__main__':
    main()
