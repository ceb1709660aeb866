"""The main job on real data, in a few minutes on a CPU (``make demo``).

On scikit-learn's bundled handwritten digits (500 training images, 1297 test images),
through the repository's configs and MMEngine's runner:

1. train a teacher (ResNet-18, width 16);
2. train the student alone (ResNet-18, width 1);
3. distill the same student from the teacher with KD.

Prints a table of test top-1 and writes the validation curves to
``WORK_DIR/curves.png`` (default ``work_dirs/demo``).
"""
import argparse
import json
import os.path as osp
import sys
from glob import glob
from typing import List, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
import kd_plugin  # noqa: F401

STEPS = (
    ('teacher', 'configs/demo/demo_teacher_resnet18w16_digits.py'),
    ('student alone', 'configs/demo/demo_student_resnet18w1_digits.py'),
    ('KD student', 'configs/demo/kd_resnet18w16_resnet18w1_1xb32_digits.py'),
)


def train(config: str, work_dir: str, epochs: int, **overrides) -> Runner:
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = work_dir
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.merge_from_dict(overrides)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def validation_curve(work_dir: str) -> List[Tuple[int, float]]:
    """(epoch, top-1) pairs from the run's LocalVisBackend scalars."""
    scalars = sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))[-1]
    curve = []
    with open(scalars) as file:
        for line in file:
            record = json.loads(line)
            if 'accuracy/top1' in record:
                curve.append((record['step'], record['accuracy/top1']))
    return curve


def plot(curves: dict, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(6, 4))
    for label, curve in curves.items():
        axes.plot(*zip(*curve), label=label, marker='.')
    axes.set(
        xlabel='epoch',
        ylabel='test top-1 (%)',
        title='Digits (500 training images): KD on a tiny student')
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--epochs', type=int, default=30)
    args = parser.parse_args()

    curves, params = {}, {}
    for label, config in STEPS:
        print(f'\n=== {label}: {config} ===', flush=True)
        step_dir = osp.join(args.work_dir, label.split()[0].lower())
        overrides = {}
        if label == 'KD student':
            overrides['model.teacher_ckpt'] = osp.join(args.work_dir, 'teacher',
                                                       f'epoch_{args.epochs}.pth')
        runner = train(config, step_dir, args.epochs, **overrides)
        model = getattr(runner.model, 'student', runner.model)
        params[label] = sum(p.numel() for p in model.parameters())
        curves[label] = validation_curve(step_dir)

    plot_path = osp.join(args.work_dir, 'curves.png')
    plot(curves, plot_path)
    print('\n| model | parameters | final top-1 | best top-1 |')
    print('|---|---|---|---|')
    for label, curve in curves.items():
        best = max(accuracy for _, accuracy in curve)
        print(f'| {label} | {params[label]:,} | {curve[-1][1]:.2f} | {best:.2f} |')
    gain = curves['KD student'][-1][1] - curves['student alone'][-1][1]
    print(f'\nKD changes the student\'s final top-1 by {gain:+.2f} points. '
          f'Curves: {plot_path}')


if __name__ == '__main__':
    main()
