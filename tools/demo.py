"""The main job on real data, in a few minutes on a CPU (``make demo``).

On scikit-learn's bundled handwritten digits (500 training images, 1297 test images),
through the repository's configs and MMEngine's runner:

1. train a teacher (ResNet-18, width 16);
2. train the student alone (ResNet-18, width 1), with seeds 0, 1, 2;
3. distill the same student from the teacher with KD, with the same seeds.

A student this small swings by several points from one seed to the next, so the student
rows are means ± std over the seeds. Prints a table of test top-1 and writes the
validation curves to ``WORK_DIR/curves.png`` (default ``work_dirs/demo``);
``--readme README.md`` (what ``make demo`` passes) also rewrites the table between the
README's markers.

Torch runs on one thread, whatever the machine or ``OMP_NUM_THREADS`` say: a CPU
result depends on the thread count (it splits the sums of convolutions differently),
so the table reproduces on any machine only with a fixed count.
"""
import argparse
import json
import os.path as osp
import sys
from glob import glob
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
import kd_plugin  # noqa: F401
from kd_plugin.apis.analysis import MeanStd
from kd_plugin.apis.config_text import RenderedOnceConfig
from kd_plugin.apis.results_benchmark import fix_threads, unique_experiment_name

EPOCHS = 30
SEEDS = 3
# (label, what the README calls it, config, trained with every seed)
STEPS = (
    ('teacher', 'teacher (ResNet-18, width 16)',
     'configs/demo/demo_teacher_resnet18w16_digits.py', False),
    ('student alone', 'student alone (ResNet-18, width 1)',
     'configs/demo/demo_student_resnet18w1_digits.py', True),
    ('KD student', 'KD student (T=4, 0.9 KD + 0.1 CE)',
     'configs/demo/kd_resnet18w16_resnet18w1_1xb32_digits.py', True),
)
README_BEGIN = '<!-- make demo writes the table below: begin -->'
README_END = '<!-- make demo writes the table above: end -->'


def train(config: str, work_dir: str, epochs: int, seed: int, **overrides) -> Runner:
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = work_dir
    cfg.randomness.seed = seed
    cfg.train_cfg.max_epochs = epochs
    cfg.param_scheduler.T_max = epochs
    cfg.merge_from_dict(overrides)
    cfg.experiment_name = unique_experiment_name(
        osp.splitext(osp.basename(config))[0], seed)
    runner = Runner.from_cfg(RenderedOnceConfig.freeze(cfg))
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
    """Each model's validation curve: the mean over its seeds, ± std shaded."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    figure, axes = plt.subplots(figsize=(6, 4))
    for label, runs in curves.items():
        epochs = [epoch for epoch, _ in runs[0]]
        values = np.array([[accuracy for _, accuracy in curve] for curve in runs])
        mean, std = values.mean(0), values.std(0)
        seeds = f' ({len(runs)} seeds)' if len(runs) > 1 else ''
        line, = axes.plot(epochs, mean, label=label + seeds, marker='.')
        if len(runs) > 1:
            axes.fill_between(
                epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    axes.set(
        xlabel='epoch',
        ylabel='test top-1 (%)',
        title='Digits (500 training images): KD on a tiny student')
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def results_markdown(curves: dict, params: dict, epochs: int) -> str:
    """The table (and the KD gain under it) that ``make demo`` writes into the README:
    final and best top-1, as mean ± std (seeds) for the students."""
    lines = ['| model | parameters | final top-1 | best top-1 |', '|---|---|---|---|']
    for label, name, _, _ in STEPS:
        finals = [curve[-1][1] for curve in curves[label]]
        bests = [max(accuracy for _, accuracy in curve) for curve in curves[label]]
        cells = [
            f'{values[0]:.2f}' if len(values) == 1 else str(MeanStd(values))
            for values in (finals, bests)
        ]
        lines.append(f'| {name} | {params[label]:,} | {cells[0]} | {cells[1]} |')
    gains = [
        kd[-1][1] - alone[-1][1]
        for kd, alone in zip(curves['KD student'], curves['student alone'])
    ]
    threads = torch.get_num_threads()
    setting = (f'{epochs} epoch{"s" * (epochs > 1)}, seeds 0-{len(gains) - 1}, '
               f'{threads} torch thread{"s" * (threads > 1)}, torch '
               f'{torch.__version__.split("+")[0]}')
    per_seed = ', '.join(f'{gain:+.2f}' for gain in gains)
    lines += [
        '', f'KD changes the student\'s final top-1 by {sum(gains) / len(gains):+.2f} '
        f'points on average (per seed: {per_seed}; {setting}).'
    ]
    return '\n'.join(lines) + '\n'


def write_readme(path: str, block: str) -> None:
    """Replace what lies between the README's two markers with ``block``."""
    with open(path) as file:
        text = file.read()
    if text.count(README_BEGIN) != 1 or text.count(README_END) != 1:
        raise ValueError(
            f'{path} must hold the lines {README_BEGIN!r} and {README_END!r} '
            'once each, in that order')
    head, rest = text.split(README_BEGIN)
    _, tail = rest.split(README_END)
    with open(path, 'w') as file:
        file.write(f'{head}{README_BEGIN}\n{block}{README_END}{tail}')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--epochs', type=int, default=EPOCHS)
    parser.add_argument(
        '--seeds', type=int, default=SEEDS, help='students with seeds 0 .. N-1')
    parser.add_argument(
        '--readme',
        help='rewrite the table between the markers of this file (make demo: README.md)')
    args = parser.parse_args(argv)
    fix_threads()

    curves, params = {}, {}
    teacher_ckpt = osp.join(args.work_dir, 'teacher', f'epoch_{args.epochs}.pth')
    for label, _, config, seeded in STEPS:
        curves[label] = []
        for seed in range(args.seeds if seeded else 1):
            print(f'\n=== {label}, seed {seed}: {config} ===', flush=True)
            step_dir = osp.join(args.work_dir, label.split()[0].lower())
            if seeded:
                step_dir = osp.join(step_dir, f'seed{seed}')
            overrides = {
                'model.teacher_ckpt': teacher_ckpt
            } if label == 'KD student' else {}
            runner = train(config, step_dir, args.epochs, seed, **overrides)
            model = getattr(runner.model, 'student', runner.model)
            params[label] = sum(p.numel() for p in model.parameters())
            curves[label].append(validation_curve(step_dir))

    plot_path = osp.join(args.work_dir, 'curves.png')
    plot(curves, plot_path)
    table = results_markdown(curves, params, args.epochs)
    print('\n' + table + f'Curves: {plot_path}')
    if args.readme:
        write_readme(args.readme, table)
        print(f'Table written into {args.readme}')
    return dict(table=table, curves=curves, threads=torch.get_num_threads())


if __name__ == '__main__':
    main()
