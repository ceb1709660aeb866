"""Time our DKD step against mdistiller's own, in one process, on the same CPU.

    python tools/analysis/compare_mdistiller.py --mdistiller PATH [--batch-size 64]
        [--iters 20] [--warmup 3] [--variants ours ours_compiled ...] [--threads 1]

PATH is a checkout of megvii-research/mdistiller (the code is imported from there, at
run time only; nothing of it is part of this project). Both sides train ResNet8x4 from a
frozen ResNet32x4 with DKD (alpha 1, beta 8, T 4, past the warm-up) on the same random
CIFAR-sized batch: mdistiller's ``DKD`` distiller and SGD over its learnable parameters,
ours the distillation step of ``configs/dkd/dkd_resnet32x4_resnet8x4_1xb64_cifar100.py``
(``--variants``: eager fp32, compiled, compiled with channels_last, compiled with a
bf16 teacher, with a teacher-output cache). The steps run
interleaved, the order rotating each round; the table gives the median process CPU time
per step and each step's ratio to mdistiller's.
"""
import argparse
import os.path as osp
import statistics
import sys
from types import SimpleNamespace
from typing import Callable, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
import torch
from mmengine.logging import MessageHub

from kd_plugin.apis.benchmark import (
    build_model,
    compiled_steps,
    load_config,
    make_steps,
    synthetic_batch,
    time_interleaved,
)

CONFIG = osp.join(ROOT, 'configs', 'dkd', 'dkd_resnet32x4_resnet8x4_1xb64_cifar100.py')
EPOCH = 30  # past DKD's 20-epoch warm-up on both sides


def mdistiller_step(path: str, inputs: torch.Tensor, target: torch.Tensor):
    """One training step of mdistiller's DKD (its models, distiller and optimizer set-up:
    SGD 0.05, momentum 0.9, weight decay 5e-4 over get_learnable_parameters())."""
    sys.path.insert(0, path)
    from mdistiller.distillers.DKD import DKD
    from mdistiller.models.cifar import cifar_model_dict

    # The fields of mdistiller's yacs CFG that DKD reads (configs/cifar100/dkd/
    # res32x4_res8x4.yaml); the engine, which needs tensorboardX, is not imported.
    cfg = SimpleNamespace(
        DKD=SimpleNamespace(CE_WEIGHT=1.0, ALPHA=1.0, BETA=8.0, T=4.0, WARMUP=20))
    student = cifar_model_dict['resnet8x4'][0](num_classes=100)
    teacher = cifar_model_dict['resnet32x4'][0](num_classes=100)
    distiller = DKD(student, teacher, cfg)
    distiller.train()
    optimizer = torch.optim.SGD(
        distiller.get_learnable_parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        _, losses = distiller(image=inputs, target=target, epoch=EPOCH)
        loss = sum(value.mean() for value in losses.values())
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step


# Our variants: name -> (config options, compile options, cached). fp32 ones compute
# what mdistiller computes (compiled kernels reassociate float32 sums); bf16 teacher
# logits and fp16 cached logits round the teacher's outputs.
VARIANTS = {
    'ours': ({}, None, False),
    'ours_compiled': ({}, dict(backend='inductor'), False),
    'ours_compiled_channels_last': ({
        'model.channels_last': True
    }, dict(backend='inductor'), False),
    'ours_compiled_teacher_bf16': ({
        'model.teacher_precision': 'bf16'
    }, dict(backend='inductor'), False),
    'ours_cached': ({}, None, True),
    'ours_cached_compiled': ({}, dict(backend='inductor'), True),
}


def our_step(name: str, batch_size: int) -> Tuple[Callable[[], float], dict]:
    """One variant's distillation step on the batch of the first variant (same seed:
    same weights and batch), and its batch."""
    options, compile_cfg, cached = VARIANTS[name]
    torch.manual_seed(0)
    cfg = load_config(CONFIG, cfg_options=options)
    model = build_model(cfg, 'cpu')
    batch, _ = synthetic_batch(cfg, model, CONFIG, batch_size, None, 'cpu')
    if compile_cfg is None:
        steps, _ = make_steps(cfg, model, batch, 'cpu', amp=False, cached=cached)
        return steps['cached' if cached else 'distill'], batch
    steps, compile_s = compiled_steps(cfg, model, batch, 'cpu', False, cached,
                                      compile_cfg)
    key = 'cached_compiled' if cached else 'distill_compiled'
    print(f'{name}: first (compiling) call {compile_s[key]:.1f} s')
    return steps[key], batch


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--mdistiller', required=True, help='a checkout of megvii-research/mdistiller')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--variants',
        nargs='+',
        default=['ours'],
        choices=list(VARIANTS),
        help='our steps to time against mdistiller\'s (default: ours, eager fp32)')
    parser.add_argument('--threads', type=int, default=1, help='torch threads')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    MessageHub.get_current_instance().update_info('epoch', EPOCH)

    steps = {}
    for name in args.variants:
        steps[name], batch = our_step(name, args.batch_size)
    target = torch.cat([sample.gt_label for sample in batch['data_samples']])
    # The batch our step trains on, normalised with the CIFAR-100 constants mdistiller
    # uses too (the configs' data preprocessor).
    steps['mdistiller'] = mdistiller_step(args.mdistiller, batch['inputs'].clone(),
                                          target)
    _, cpu_times, values = time_interleaved(steps, args.iters, args.warmup, 'cpu')
    medians = {name: statistics.median(times) for name, times in cpu_times.items()}
    print('| step | median CPU s | / mdistiller |\n|---|---:|---:|')
    for name, median in medians.items():
        print(f"| {name} | {median:.4f} | {median / medians['mdistiller']:.3f} |")
    finite = all(torch.isfinite(torch.tensor(v)).all() for v in values.values())
    print(f'batch {args.batch_size}, {args.threads} thread(s), {args.iters} timed rounds '
          f'after {args.warmup} warm-up rounds, torch {torch.__version__}; losses '
          f'finite: {finite}')
    return medians


if __name__ == '__main__':
    main()
