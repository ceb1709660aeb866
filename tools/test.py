"""Evaluate a checkpoint. On a distiller config this evaluates the student.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] ...
    tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [args]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import kd_plugin  # noqa: F401  (registers the plugin's modules)
from kd_plugin.engine import setup_cpu_distributed
from kd_plugin.utils import safe_checkpoint_loading


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument(
        '--out', help='dump the metrics (.json) or the predictions (.pkl)')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        default='metrics',
        help='what --out dumps')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=32')
    parser.add_argument('--amp', action='store_true', help='test with mixed precision')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='do not pin memory in the dataloader')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg.fp16 = True
    loader = cfg.test_dataloader
    if args.no_pin_memory:
        loader['pin_memory'] = False
    if not loader.get('num_workers', 0):
        loader['persistent_workers'] = False
    if args.out and args.out_item == 'pred':
        evaluators = cfg.test_evaluator
        evaluators = [evaluators] if isinstance(evaluators, dict) else list(evaluators)
        cfg.test_evaluator = evaluators + [
            dict(type='DumpResults', out_file_path=args.out)
        ]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    with safe_checkpoint_loading():  # runner checkpoints load on torch >= 2.6
        metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        import mmengine
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
