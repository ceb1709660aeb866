"""A resumed run says what differs from the checkpoint and follows the config's schedule
(issue 14); an empty training set is refused before training."""
import itertools
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from kd_plugin.utils import safe_load

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()


def config(work_dir: Path, max_epochs: int, milestones, end: int, resume=False) -> Config:
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.train_dataloader.dataset.pipeline = [dict(type='PackInputs')]
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'resume_honest_{next(_RUN_IDS)}'
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    # The schedule ends with the run, as MMPretrain's schedules write it.
    cfg.param_scheduler = dict(
        type='MultiStepLR', by_epoch=True, milestones=milestones, end=end, gamma=0.1)
    cfg.resume = resume
    return cfg


def test_resume_with_a_longer_schedule_follows_the_config(tmp_path, capsys):
    """1 epoch, then --resume with max_epochs=3 and a milestone at 2: MMEngine kept the
    saved schedule (end=1, milestone 1), so lr stayed 0.05 where a straight run of the
    new config has 0.005."""
    straight = tmp_path / 'straight'
    Runner.from_cfg(config(straight, 3, milestones=[2], end=3)).train()
    resumed = tmp_path / 'resumed'
    Runner.from_cfg(config(resumed, 1, milestones=[1], end=1)).train()
    capsys.readouterr()
    Runner.from_cfg(config(resumed, 3, milestones=[2], end=3, resume=True)).train()

    log = capsys.readouterr().out
    assert 'max_epochs: 1 in the checkpoint\'s run, 3 in the config' in log
    assert '(MultiStepLR) end: 1 in the checkpoint, 3 in the config' in log
    assert '(MultiStepLR) milestones: [1] in the checkpoint, [2] in the config' in log
    for epoch in (2, 3):  # each holds the lr of the next epoch: 0.005 after milestone 2
        expected = safe_load(str(straight / f'epoch_{epoch}.pth'))
        found = safe_load(str(resumed / f'epoch_{epoch}.pth'))
        assert found['optimizer']['param_groups'][0]['lr'] == pytest.approx(0.005)
        assert found['optimizer']['param_groups'] == expected['optimizer']['param_groups']
        assert found['param_schedulers'] == expected['param_schedulers']
    # The first epoch had the same lr in both configs: the runs are the same run.
    expected = safe_load(str(straight / 'epoch_3.pth'))['state_dict']
    found = safe_load(str(resumed / 'epoch_3.pth'))['state_dict']
    assert all(torch.equal(expected[k], found[k]) for k in expected)


def test_resume_with_the_same_config_changes_nothing(tmp_path, capsys):
    Runner.from_cfg(config(tmp_path, 1, milestones=[1], end=2)).train()
    Runner.from_cfg(config(tmp_path, 2, milestones=[1], end=2, resume=True)).train()
    log = capsys.readouterr().out
    assert 'max_epochs: 1 in the checkpoint\'s run, 2 in the config' in log
    assert '(MultiStepLR)' not in log and 'optimizer param group' not in log


def test_mid_epoch_resume_and_a_new_batch_size_are_said(tmp_path, capsys):
    cfg = config(tmp_path, 1, milestones=[2], end=2)
    cfg.default_hooks.checkpoint.update(by_epoch=False, interval=3)
    Runner.from_cfg(cfg).train()
    cfg = config(tmp_path, 2, milestones=[2], end=2, resume=True)
    cfg.load_from = str(tmp_path / 'iter_3.pth')
    cfg.train_dataloader.batch_size = 4
    Runner.from_cfg(cfg).train()
    log = capsys.readouterr().out
    assert 'in the middle of epoch 1 (3 of 4 iterations done)' in log
    assert 'those 3 iterations are trained again' in log
    assert "batch size: 8 per process x 1 processes in the checkpoint's run, 4 x 1" in log


@pytest.mark.parametrize('num_samples, batch_size', [(0, 8), (3, 8)])
def test_a_training_set_without_a_batch_is_refused_before_training(
        tmp_path, num_samples, batch_size):
    cfg = config(tmp_path, 1, milestones=[1], end=1)
    cfg.train_dataloader.dataset.num_samples = num_samples
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True)
    cfg.train_dataloader.drop_last = True
    runner = Runner.from_cfg(cfg)
    expected = 'is empty' if num_samples == 0 else 'gives no batch'
    with pytest.raises(
            ValueError,
            match=f'training set {expected}: SyntheticClsDataset'
            r' \(train_dataloader.dataset: type=.SyntheticClsDataset., '
            f'num_samples={num_samples}'):
        runner.train()
    assert runner.iter == 0
