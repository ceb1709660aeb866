"""A NaN/inf loss term stops training before the step (or skips it, within bounds):
issues 8 and 14."""
import itertools
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from kd_plugin.engine import NonFiniteGuardOptimWrapper
from kd_plugin.utils import safe_load

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()


@MODELS.register_module(name='_TestNaNAfterLoss', force=True)
class NaNAfterLoss(nn.Module):
    """A distillation term that turns NaN from its ``bad_from``-th call (1-based)."""

    def __init__(self, bad_from: int, bad_until: int = 10**9) -> None:
        super().__init__()
        self.bad_from, self.bad_until, self.calls = bad_from, bad_until, 0

    def forward(self, logits_s, logits_t):
        self.calls += 1
        term = (logits_s - logits_t).pow(2).mean()
        if self.bad_from <= self.calls <= self.bad_until:
            term = term * float('nan')
        return term


def build_runner(work_dir,
                 bad_from,
                 action='stop',
                 bad_until=10**9,
                 guard=False,
                 **bounds):
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'nonfinite_{next(_RUN_IDS)}'
    cfg.model.distill_losses = dict(
        loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9),
        loss_bad=dict(type='_TestNaNAfterLoss', bad_from=bad_from, bad_until=bad_until))
    cfg.custom_hooks = [dict(type='NonFiniteLossHook', action=action, **bounds)]
    if guard:
        cfg.optim_wrapper.type = 'NonFiniteGuardOptimWrapper'
    cfg.train_cfg.val_interval = 100
    return Runner.from_cfg(cfg)


def test_stop_names_the_term_and_keeps_the_last_good_checkpoint(tmp_path):
    runner = build_runner(tmp_path, bad_from=6)  # 4 iterations per epoch: epoch 2, iter 6
    with pytest.raises(FloatingPointError, match=r'iteration 6 \(epoch 2') as error:
        runner.train()
    assert 'loss_bad=nan' in str(error.value) and 'loss_kd' not in str(error.value)
    assert (tmp_path / 'epoch_1.pth').exists() and not (tmp_path / 'epoch_2.pth').exists()
    state = safe_load(str(tmp_path / 'epoch_1.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    # The step of iteration 6 never ran: the weights in memory are still finite.
    model = runner.model
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_skip_drops_only_the_bad_steps(tmp_path):
    runner = build_runner(tmp_path, bad_from=3, bad_until=4, action='skip', guard=True)
    runner.train()
    assert isinstance(runner.optim_wrapper, NonFiniteGuardOptimWrapper)
    assert runner.optim_wrapper.skipped_steps == 2
    state = safe_load(str(tmp_path / 'epoch_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


@pytest.mark.parametrize('bound, message', [
    (dict(max_consecutive_skips=3), '3 non-finite steps in a row'),
    (dict(max_skipped_steps=3), '3 non-finite steps in this run'),
])
def test_skip_stops_at_its_bounds_naming_the_term(tmp_path, bound, message):
    runner = build_runner(tmp_path, bad_from=2, action='skip', guard=True, **bound)
    with pytest.raises(FloatingPointError, match=r'iteration 4 .*loss_bad=nan') as error:
        runner.train()
    assert message in str(error.value)
    assert runner.optim_wrapper.skipped_steps == 2
    assert not list(tmp_path.glob('*.pth'))


def test_skip_stops_when_the_teacher_is_not_finite(tmp_path):
    """A teacher whose weights are inf: every step is skipped. The run used to skip
    all of them and exit 0; now it stops at the end of the first epoch, before that
    epoch's checkpoint."""
    cfg = Config.fromfile(SYNTHETIC_KD)
    teacher = MODELS.build(cfg.model.teacher).state_dict()
    checkpoint = tmp_path / 'inf_teacher.pth'
    torch.save(
        {
            k: torch.full_like(v, float('inf')) if v.is_floating_point() else v
            for k, v in teacher.items()
        }, checkpoint)
    cfg.model.teacher_ckpt = str(checkpoint)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'nonfinite_{next(_RUN_IDS)}'
    cfg.optim_wrapper.type = 'NonFiniteGuardOptimWrapper'
    cfg.custom_hooks = [dict(type='NonFiniteLossHook', action='skip')]
    cfg.train_cfg.val_interval = 100
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            FloatingPointError,
            match=r'Every optimizer step of epoch 1 \(4\) was skipped.*'
            r'loss_kd=nan'):
        runner.train()
    assert not list(tmp_path.glob('epoch_*.pth'))


def test_skip_without_the_guard_wrapper_is_a_config_error(tmp_path):
    runner = build_runner(tmp_path, bad_from=3, action='skip')
    with pytest.raises(ValueError, match='NonFiniteGuardOptimWrapper'):
        runner.train()


@pytest.mark.parametrize('action', ['stop', 'skip'])
def test_guard_wrapper_alone_refuses_a_nonfinite_loss(action):
    model = nn.Linear(3, 1)
    wrapper = NonFiniteGuardOptimWrapper(
        action=action,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    wrapper.update_params(model(torch.ones(2, 3)).sum())  # a good step: momentum state
    before = [p.detach().clone() for p in model.parameters()]
    bad = model(torch.ones(2, 3)).sum() * float('inf')
    if action == 'stop':
        with pytest.raises(FloatingPointError, match='total loss'):
            wrapper.update_params(bad)
    else:
        wrapper.update_params(bad)
        assert wrapper.skipped_steps == 1
        assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters()))
