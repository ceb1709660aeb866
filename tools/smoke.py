"""Run any config for a few iterations plus a validation pass, offline, on CPU.

    python tools/smoke.py CONFIG [--iters N] [--batch-size B] [--image-size S]

File datasets are replaced by synthetic images, checkpoints and pretrained weights are
dropped, and nothing is downloaded. Exits non-zero if training or validation fails or
a loss is not finite.
"""
import argparse
import math
import os.path as osp
import sys
import tempfile

from mmengine.config import Config
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import kd_plugin  # noqa: F401
from kd_plugin.apis.smoke import build_smoke_teacher_cache, smoke_config


def run_smoke(config: str,
              iters: int = 2,
              batch_size: int = 2,
              image_size: int = None,
              work_dir: str = None) -> dict:
    """Train ``iters`` iterations and validate; return the last losses and metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = smoke_config(
            Config.fromfile(config), iters, batch_size, image_size, work_dir or tmp)
        build_smoke_teacher_cache(cfg)
        runner = Runner.from_cfg(cfg)
        runner.train()
        scalars = runner.message_hub.log_scalars
        losses = {
            k: v.current()
            for k, v in scalars.items() if k.startswith('train/loss')
        }
        metrics = {k: v.current() for k, v in scalars.items() if k.startswith('val/')}
    bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
    if bad:
        raise RuntimeError(f'{config}: non-finite losses {bad}')
    return dict(losses=losses, metrics=metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument(
        '--image-size',
        type=int,
        help='synthetic image size (default: the shape_probe of the config, or 32)')
    parser.add_argument('--work-dir', help='keep the run here instead of a temp dir')
    args = parser.parse_args()
    result = run_smoke(args.config, args.iters, args.batch_size, args.image_size,
                       args.work_dir)
    print(
        f'smoke OK: {args.config} losses={result["losses"]} metrics={result["metrics"]}')


if __name__ == '__main__':
    main()
