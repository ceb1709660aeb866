"""Time the student step, the teacher forward and the distillation step of a config.

    python tools/benchmark.py CONFIG [--iters N] [--warmup W] [--batch-size B]
        [--image-size S] [--device cpu|cuda] [--amp] [--profile] [--out FILE.json]

The three variants run interleaved in one process on a synthetic batch (the config's
own training pipeline and data preprocessor); checkpoints are dropped, nothing is
downloaded. Prints a markdown table of medians, images/s, peak memory and the ratio
distill / (student + teacher). The logic is in ``kd_plugin/utils/benchmark.py``.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from kd_plugin.utils.benchmark import main  # noqa: E402

if __name__ == '__main__':
    main()
