"""Interrupting and resuming a run gives bit-identical weights (issue 8).

Each case trains the synthetic KD config for 2 epochs in one go, and separately for
1 epoch, then resumes to 2 epochs; on CPU with a fixed seed and deterministic ops the
two final checkpoints must hold the same tensors (``torch.equal``): the student, any
trainable connector of the losses and their buffers (CRD's memory banks).

With the config's random augmentations (RandomCrop/RandomFlip draw from the global
``np.random`` state; each epoch's DataLoader iterator draws its base seed from the global
torch generator) exactness needs ``EpochSeedHook`` (which ``tools/train.py`` adds):
MMEngine
0.10.7 does not restore the global RNG states on resume, so the hook reseeds them from
``(seed, epoch)`` at every epoch. That case also validates after each epoch, which
consumes torch RNG between the checkpoint and the next epoch in the uninterrupted run.
With DataLoader workers (persistent or not) the hook reseeds each worker per epoch too.
"""
import copy
import itertools
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from kd_plugin.utils import safe_load

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()


def fitnet_config(cfg: Config) -> Config:
    """FitNet on layer2 of the tiny ResNet_CIFAR pair (student width 4, teacher 8)."""
    cfg.model.distill_losses = dict(
        loss_fitnet=dict(
            type='FitNetLoss',
            student_channels=8,
            teacher_channels=16,
            hint_stage=0,
            loss_weight=1.0))
    cfg.model.student_taps = dict(feats=['backbone.layer2'])
    cfg.model.teacher_taps = dict(feats=['backbone.layer2'])
    return cfg


def crd_config(cfg: Config) -> Config:
    """CRD on the pooled vectors (32 -> 64 wide), one bank row per synthetic sample."""
    cfg.model.distill_losses = dict(
        loss_crd=dict(
            type='CRDLoss',
            student_channels=32,
            teacher_channels=64,
            num_data=32,
            feat_dim=8,
            num_negatives=8,
            loss_weight=0.8))
    cfg.train_dataloader.dataset = dict(
        type='ContrastiveIndexDataset',
        num_negatives=8,
        mode='exact',
        seed=0,
        dataset=copy.deepcopy(cfg.train_dataloader.dataset))
    cfg.custom_hooks = [dict(type='ContrastiveEpochHook')]
    return cfg


CASES = {'kd': lambda cfg: cfg, 'fitnet': fitnet_config, 'crd': crd_config}


def train(variant: str,
          work_dir: Path,
          max_epochs: int,
          resume: bool = False,
          augment: bool = False,
          workers: int = 0,
          persistent: bool = False) -> None:
    cfg = Config.fromfile(SYNTHETIC_KD)
    if not augment:
        cfg.train_dataloader.dataset.pipeline = [dict(type='PackInputs')]
    cfg.train_dataloader.update(num_workers=workers, persistent_workers=persistent)
    cfg = CASES[variant](cfg)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'resume_exact_{variant}_{next(_RUN_IDS)}'
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 1 if augment else 100
    cfg.default_hooks.logger.interval = 100
    cfg.resume = resume
    # As tools/train.py adds it: per-epoch reseeding of the augmentation RNGs.
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(type='EpochSeedHook')]
    runner = Runner.from_cfg(cfg)
    runner.train()
    if persistent:
        # Left to the garbage collector, torch's DataLoader (in a reference cycle with
        # the runner) waits 5 s for each persistent worker; end them now.
        runner.train_dataloader._iterator._shutdown_workers()


def final_state(work_dir: Path) -> dict:
    return safe_load(str(work_dir / 'epoch_2.pth'), map_location='cpu')['state_dict']


def train_straight_and_resumed(variant, tmp_path, augment=False, **workers):
    train(variant, tmp_path / 'straight', max_epochs=2, augment=augment, **workers)
    train(variant, tmp_path / 'resumed', max_epochs=1, augment=augment, **workers)
    train(
        variant,
        tmp_path / 'resumed',
        max_epochs=2,
        resume=True,
        augment=augment,
        **workers)
    return final_state(tmp_path / 'straight'), final_state(tmp_path / 'resumed')


@pytest.mark.parametrize('variant', list(CASES))
def test_resume_is_bit_identical(variant, tmp_path):
    straight, resumed = train_straight_and_resumed(variant, tmp_path)

    assert straight.keys() == resumed.keys()
    assert any(k.startswith('student.') for k in straight)
    expected_extra = {'kd': None, 'fitnet': 'regressor', 'crd': 'memory_s'}[variant]
    if expected_extra:
        assert any(expected_extra in k for k in straight), sorted(straight)
    if variant == 'crd':
        assert any('memory_t' in k for k in straight)
    different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
    assert not different, f'{variant}: resumed run differs in {different[:8]}'


def test_resume_with_random_augmentations_is_bit_identical(tmp_path):
    straight, resumed = train_straight_and_resumed('kd', tmp_path, augment=True)
    different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
    assert not different, f'resumed run differs in {different[:8]}'


@pytest.mark.parametrize('persistent', [True, False])
def test_resume_with_dataloader_workers_is_bit_identical(tmp_path, persistent):
    """Two DataLoader workers draw the augmentations. Persistent workers used to keep
    one RNG stream for the whole run, so a resumed run (fresh workers) drew others
    (issue 14: 97 of 122 tensors differed); EpochSeedHook reseeds each worker per
    epoch."""
    straight, resumed = train_straight_and_resumed(
        'kd', tmp_path, augment=True, workers=2, persistent=persistent)
    different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
    assert not different, f'resumed run differs in {len(different)} tensors'
