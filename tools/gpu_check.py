"""Exercise every accelerator path of the project in one short run and print one table.

    python tools/gpu_check.py [--device cuda|cpu] [--quick] [--out DIR]

Rows (about 8 minutes on one H100 for the full set):

* the benchmark (``tools/benchmark.py``) of the standard pairs, each in fp32, AMP (fp16
  with MMEngine's gradient scaler, CUDA only), bf16 (the distiller's
  ``student_precision`` / ``teacher_precision``), ``channels_last`` and ``compile``:
  distill / (student + teacher), cached / student and compiled / eager ratios and
  images/s of the distillation step;
* a 1-GPU ``tools/dist_train.sh`` run with NCCL on synthetic data (CUDA only);
* a short teacher-cache build (``kd_plugin.apis.teacher_cache``) on synthetic CIFAR
  images: views/s.

Every loss must stay finite and every row must run: the script exits 1 otherwise. On a
machine without CUDA it runs the CPU rows and lists the CUDA-only ones as skipped.
``--quick`` shrinks everything (batch 2, one timed round, one pair per kind,
``compile`` with the ``aot_eager`` backend) for the test suite.
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Callable, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from kd_plugin.apis.benchmark import run_benchmark  # noqa: E402
from kd_plugin.apis.smoke import smoke_config  # noqa: E402
from kd_plugin.apis.teacher_cache import build_teacher_cache  # noqa: E402

# (name, config, batch size on a GPU): the standard pairs of docs/benchmark.md.
PAIRS = [
    ('DKD resnet32x4 -> resnet8x4',
     'configs/dkd/dkd_resnet32x4_resnet8x4_1xb64_cifar100.py', 64),
    ('KD ResNet-34 -> ResNet-18, 224 px', 'configs/kd/kd_resnet34_resnet18_8xb64_in1k.py',
     64),
    ('FitNet resnet32x4 -> resnet8x4 (connector)',
     'configs/fitnet/fitnet_resnet32x4_resnet8x4_1xb64_cifar100.py', 64),
    ('DeiT-S -> DeiT-Ti (distillation token)',
     'configs/deit/deit_deit-small_deit-tiny_8xb128_in1k.py', 64),
]
MODES = ['fp32', 'amp', 'bf16', 'channels_last', 'compile']
CUDA_ONLY = {
    'amp': 'fp16 with a gradient scaler needs CUDA (MMEngine AmpOptimWrapper)',
    'dist_train': 'NCCL needs CUDA (the CPU path, gloo, is in the test suite)'
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        choices=['cuda', 'cpu'])
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny sizes and one pair per kind (the test suite)')
    parser.add_argument('--out', help='folder for report.json and table.md')
    return parser.parse_args(argv)


def row(check: str, config: str, mode: str, status: str, **numbers) -> dict:
    return dict(check=check, config=config, mode=mode, status=status, **numbers)


def benchmark_row(name: str, config: str, mode: str, batch: int, device: str,
                  quick: bool) -> dict:
    kwargs = dict(
        iters=1 if quick else 10,
        warmup=1 if quick else 3,
        batch_size=batch,
        device=device,
        memory=False)
    if mode == 'amp':
        kwargs.update(amp=True)
    elif mode == 'bf16':
        kwargs.update(cfg_options={
            'model.student_precision': 'bf16',
            'model.teacher_precision': 'bf16'
        })
    elif mode == 'channels_last':
        kwargs.update(channels_last=True)
    elif mode == 'compile':
        kwargs.update(compile_cfg=dict(backend='aot_eager' if quick else 'inductor'))
    report = run_benchmark(config, **kwargs)
    variant = 'distill_compiled' if mode == 'compile' else 'distill'
    numbers = dict(
        plain_limit=report['ratio_compiled_distill_over_student_plus_teacher']
        if mode == 'compile' else report['ratio_distill_over_student_plus_teacher'],
        cached_over_student=report['ratio_cached_over_student'],
        compiled_over_eager=(report['ratio_compiled_over_eager'] or {}).get('distill'),
        compile_s=report['variants'][variant].get('compile_s'),
        images_per_s=report['variants'][variant]['images_per_s'])
    status = 'ok' if report['losses_finite'] else 'FAIL: non-finite loss'
    return row(name, config, mode, status, **numbers)


def dist_train_row(workdir: str) -> dict:
    """tools/dist_train.sh with one process (NCCL) on a smoke version of a config."""
    config = PAIRS[0][1]
    cfg = smoke_config(
        Config.fromfile(osp.join(ROOT, config)),
        iters=4,
        batch_size=8,
        work_dir=osp.join(workdir, 'dist_train'))
    cfg.env_cfg.dist_cfg = dict(backend='nccl')
    path = osp.join(workdir, 'dist_train_smoke.py')
    cfg.dump(path)
    start = time.perf_counter()
    result = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), path, '1'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        return row('dist_train.sh, 1 GPU, NCCL', config, 'fp32',
                   f'FAIL: exit {result.returncode}: {result.stderr[-300:]}')
    return row('dist_train.sh, 1 GPU, NCCL', config, 'fp32', 'ok', wall_s=seconds)


def cache_build_row(device: str, workdir: str, quick: bool) -> dict:
    """A teacher cache over synthetic CIFAR images: views per second."""
    config = osp.join(ROOT, 'tests', 'data', 'configs', 'kd_synthetic.py')
    cfg = Config.fromfile(config)
    pipeline = [
        dict(type='RecordedRandomCrop', crop_size=16, padding=2),
        dict(type='RecordedRandomFlip', prob=0.5),
        dict(
            type='PackInputs',
            meta_keys=('sample_idx', 'flip', 'flip_direction', 'view_id')),
    ]
    cfg.train_dataloader.dataset.update(
        num_samples=8 if quick else 256, pipeline=pipeline)
    cfg.train_dataloader.num_workers = 0 if quick else 4
    report = build_teacher_cache(
        cfg,
        osp.join(workdir, 'cache.pth'),
        batch_size=512,
        device=device,
        progress=False)
    views = report['num_samples'] * report['num_views']
    return row(
        'teacher-cache build (synthetic, 16 px)',
        config,
        'fp32',
        'ok',
        images_per_s=views / report['build_s'])


def run_checks(device: str, quick: bool, workdir: str) -> List[dict]:
    pairs = PAIRS[:1] if quick else PAIRS
    checks: List[Callable[[], dict]] = []
    for name, config, batch in pairs:
        for mode in MODES:
            if mode in CUDA_ONLY and device != 'cuda':
                checks.append(lambda n=name, c=config, m=mode: row(
                    n, c, m, f'skipped: {CUDA_ONLY[m]}'))
                continue
            checks.append(lambda n=name, c=config, m=mode, b=batch: benchmark_row(
                n, c, m, 2 if quick else b, device, quick))
    if device == 'cuda':
        checks.append(lambda: dist_train_row(workdir))
    else:
        checks.append(lambda: row('dist_train.sh, 1 GPU, NCCL', PAIRS[0][1], 'fp32',
                                  f"skipped: {CUDA_ONLY['dist_train']}"))
    checks.append(lambda: cache_build_row(device, workdir, quick))
    rows = []
    for check in checks:
        try:
            rows.append(check())
        except Exception as error:  # one table, every failure in it
            rows.append(row('error', '', '', f'FAIL: {type(error).__name__}: {error}'))
            traceback.print_exc()
        print(format_row(rows[-1]), flush=True)
    return rows


def _cell(value: Optional[float], digits: int = 3) -> str:
    if value is None:
        return ''
    return f'{value:.{digits}f}' if math.isfinite(value) else str(value)


def format_row(r: dict) -> str:
    return (
        f"| {r['check']} | {r['mode']} | {r['status']} | {_cell(r.get('plain_limit'))} "
        f"| {_cell(r.get('cached_over_student'))} | "
        f"{_cell(r.get('compiled_over_eager'))} | {_cell(r.get('compile_s'), 1)} | "
        f"{_cell(r.get('images_per_s'), 1)} |")


def format_table(rows: List[dict], device: str) -> str:
    name = torch.cuda.get_device_name() if device == 'cuda' else 'CPU'
    head = [
        '| check | mode | status | distill / (student + teacher) | cached / student '
        '| compiled / eager (distill) | compile s | images/s |',
        '|---|---|---|---:|---:|---:|---:|---:|'
    ]
    return '\n'.join([f'GPU check on {name}, torch {torch.__version__}', ''] + head +
                     [format_row(r) for r in rows])


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        rows = run_checks(args.device, args.quick, workdir)
    table = format_table(rows, args.device)
    print(table)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(osp.join(args.out, 'report.json'), 'w') as file:
            json.dump(rows, file, indent=2)
        with open(osp.join(args.out, 'table.md'), 'w') as file:
            file.write(table + '\n')
    failed = [r for r in rows if r['status'].startswith('FAIL')]
    if failed:
        raise SystemExit(f'{len(failed)} check(s) failed: ' +
                         '; '.join(f"{r['check']} {r['mode']}" for r in failed))
    return rows


if __name__ == '__main__':
    main()
