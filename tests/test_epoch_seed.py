"""EpochSeedHook gives every epoch, every rank and every DataLoader worker its own
augmentation stream (issue 14: a hook that seeded every epoch alike, or every rank
alike, still passed the resume tests)."""
import itertools
import json
import random
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS, TRANSFORMS

from kd_plugin.engine import EpochSeedHook
from kd_plugin.engine.epoch_seed import worker_seed

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_KD = ROOT / 'tests' / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()


def draw_all() -> list:
    """One draw from each generator augmentations use: numpy, python, torch."""
    return [
        int(np.random.randint(256)),
        random.randrange(256),
        int(torch.randint(256, ()))
    ]


@TRANSFORMS.register_module(name='_TestRecordDraws', force=True)
class RecordDraws(BaseTransform):
    """Writes one draw of each generator into the first pixel's three channels."""

    def transform(self, results: dict) -> dict:
        image = results['img'].copy()
        image[0, 0, :] = draw_all()
        results['img'] = image
        return results


@HOOKS.register_module(name='_TestCollectDraws', force=True)
class CollectDraws(Hook):
    draws: dict = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.draws.setdefault(runner.epoch, []).extend(image[:, 0, 0].tolist()
                                                       for image in data_batch['inputs'])


def fake_runner(epoch: int, loader=None) -> SimpleNamespace:
    return SimpleNamespace(
        seed=7,
        epoch=epoch,
        train_dataloader=loader,
        _randomness_cfg=dict(seed=7, deterministic=False))


def test_the_epoch_seed_depends_on_the_epoch():
    hook = EpochSeedHook()
    draws = []
    for epoch in (0, 1, 0):
        hook.before_train_epoch(fake_runner(epoch))
        draws.append(draw_all() + draw_all())
    assert draws[0] == draws[2], 'an epoch draws the same after an interruption'
    for generator, name in enumerate(('numpy', 'random', 'torch')):
        assert draws[0][generator::3] != draws[1][generator::3], name
    seeds = {worker_seed(7, e, r, w) for e in (0, 1) for r in (0, 1) for w in (0, 1)}
    assert len(seeds) == 8, 'epoch, rank and worker each change the worker seed'


@pytest.mark.parametrize('workers', [0, 2])
def test_consecutive_epochs_draw_different_augmentations(tmp_path, workers):
    """MMEngine seeds fresh DataLoader workers alike in every epoch; with the seed
    independent of the epoch, the main process would repeat its draws too."""
    CollectDraws.draws = {}
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'epoch_seed_{next(_RUN_IDS)}'
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='_TestRecordDraws'),
        dict(type='PackInputs')
    ]
    cfg.train_dataloader.num_workers = workers
    cfg.train_cfg.val_interval = 100
    cfg.custom_hooks = [dict(type='_TestCollectDraws')]
    Runner.from_cfg(cfg).train()

    first, second = CollectDraws.draws[0], CollectDraws.draws[1]
    assert len(first) == len(second) == 32
    for generator, name in enumerate(('numpy', 'random', 'torch')):
        assert [d[generator] for d in first] != [d[generator] for d in second], name


TWO_RANKS = '''
import json, os, random, sys
import numpy as np, torch, torch.distributed as dist
from types import SimpleNamespace
from torch.utils.data import DataLoader

from kd_plugin.engine import EpochSeedHook  # imported once, before the ranks fork


class Draws:
    """A dataset whose pipeline draws from the three generators."""

    def pipeline(self, index):
        return [int(np.random.randint(2**30)), random.getrandbits(30),
                int(torch.randint(2**30, ()))]

    def __getitem__(self, index):
        return self.pipeline(index)

    def __len__(self):
        return 8


def main(rank, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    loader = DataLoader(Draws(), batch_size=4, num_workers=2, persistent_workers=True,
                        collate_fn=lambda batch: batch)
    runner = SimpleNamespace(seed=7, epoch=0, train_dataloader=loader,
                             _randomness_cfg=dict(deterministic=False))
    hook = EpochSeedHook()
    hook.before_train(runner)
    draws = []
    for epoch in range(2):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        main_process = [int(np.random.randint(2**30)), random.getrandbits(30),
                        int(torch.randint(2**30, ()))]
        draws.append(dict(main=main_process, workers=[d for b in loader for d in b]))
    gathered = [None, None]
    dist.all_gather_object(gathered, draws)
    if rank == 0:
        with open(out, 'w') as file:
            json.dump(gathered, file)
    dist.destroy_process_group()


if __name__ == '__main__':
    torch.multiprocessing.start_processes(
        main, args=(sys.argv[1], sys.argv[2]), nprocs=2, start_method='fork')
'''


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_two_ranks_draw_different_augmentations(tmp_path):
    """Two processes with gloo, each with two persistent workers, over two epochs."""
    out = tmp_path / 'draws.json'
    subprocess.run([sys.executable, '-c', TWO_RANKS,
                    free_port(), str(out)],
                   cwd=ROOT,
                   check=True,
                   timeout=240)
    rank0, rank1 = json.loads(out.read_text())
    for epoch in (0, 1):
        for where in ('main', 'workers'):
            assert rank0[epoch][where] != rank1[epoch][where], (epoch, where)
    for rank in (rank0, rank1):
        assert rank[0]['workers'] != rank[1]['workers'], 'persistent workers reseed'
    worker_draws = [d for r in (rank0, rank1) for e in r for d in e['workers']]
    assert len({tuple(d) for d in worker_draws}) == len(worker_draws) == 32
