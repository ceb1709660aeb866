"""Energy KD / Energy DKD / HE-DA: thresholds pre-pass, losses, auxiliary batch."""
import math
import os
import re
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import HOOKS, MODELS

import kd_plugin  # noqa: F401
from kd_plugin.engine.energy import EnergyThresholdHook, energy_thresholds
from kd_plugin.models.dis_losses.heda import sample_beta

T_E = 4.0


def hand_energy(row):
    """-T_e * log(sum_c exp(z_c / T_e)) in plain Python."""
    return -T_E * math.log(sum(math.exp(v / T_E) for v in row))


class CountingTeacher(nn.Module):
    """The inputs, times its weight ``scale`` (1), are the logits; counts its
    forwards."""

    def __init__(self):
        super().__init__()
        self.register_buffer('scale', torch.ones((), dtype=torch.float64))
        self.calls = 0

    def forward(self, inputs, mode='tensor'):
        assert mode == 'tensor' and not self.training
        self.calls += 1
        return inputs * self.scale


class Identity(nn.Module):

    def forward(self, data, training=False):
        assert training is False
        return data


class RowsDataset:
    """A training set whose samples are the teacher's logits rows."""

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def get_data_info(self, index):
        return dict(row=self.rows[index], sample_idx=index)


class FakeLoader:

    def __init__(self, rows, batch_size):
        self.rows, self.batch_size = rows, batch_size
        self.dataset = RowsDataset(rows)

    def __iter__(self):
        for start in range(0, len(self.rows), self.batch_size):
            chunk = self.rows[start:start + self.batch_size]
            yield dict(inputs=torch.tensor(chunk), data_samples=[None] * len(chunk))

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)


class FakeDistiller(nn.Module):

    def __init__(self, **modules):
        super().__init__()
        self.teacher = CountingTeacher()
        self.data_preprocessor = Identity()
        self.distill_losses = nn.ModuleDict(modules)


def _rows(count=10, classes=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(count, classes, generator=generator, dtype=torch.float64) *
            3).tolist()


def _runner(model, rows, work_dir, batch_size=4):
    return SimpleNamespace(
        model=model,
        work_dir=str(work_dir),
        train_loop=SimpleNamespace(dataloader=FakeLoader(rows, batch_size)))


def _energy_kd(**kwargs):
    return MODELS.build(dict(type='EnergyKDLoss', **kwargs))


def test_thresholds_equal_hand_computation(tmp_path):
    rows = _rows(10)  # batches of 4, 4, 2: the final partial batch is skipped
    loss = _energy_kd()
    model = FakeDistiller(loss_energy=loss)
    hook = HOOKS.build(dict(type='EnergyThresholdHook', low_rate=0.25, high_rate=0.25))
    hook.before_train(_runner(model, rows, tmp_path))
    energies = sorted(hand_energy(row) for row in rows[:8])
    low, high = energies[2], energies[-3]  # floor(8 * 0.25) = 2; -(2 + 1)
    assert model.teacher.calls == 2
    assert loss.energy_thresholds_set
    assert loss.low_energy_threshold.item() == pytest.approx(low, rel=1e-6)
    assert loss.high_energy_threshold.item() == pytest.approx(high, rel=1e-6)
    # Spec defaults 0.2 / 0.2 on 8 energies: indices floor(1.6) = 1 and -(1 + 1).
    assert energy_thresholds(torch.tensor(energies), 0.2, 0.2) == pytest.approx(
        (energies[1], energies[-2]))
    assert [p.name.startswith('energy_thresholds_') for p in tmp_path.iterdir()] == [True]


def test_tiny_training_set_uses_its_partial_batch(tmp_path):
    rows = _rows(3)
    loss = _energy_kd()
    model = FakeDistiller(loss_energy=loss)
    EnergyThresholdHook(
        low_rate=0.0, high_rate=0.0).before_train(_runner(model, rows, tmp_path))
    energies = sorted(hand_energy(row) for row in rows)
    assert loss.low_energy_threshold.item() == pytest.approx(energies[0], rel=1e-6)
    assert loss.high_energy_threshold.item() == pytest.approx(energies[-1], rel=1e-6)


def test_cache_is_reused(tmp_path):
    rows = _rows(12)
    first = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(first, rows, tmp_path))
    assert first.teacher.calls == 3
    cached = [p for p in os.listdir(tmp_path) if p.startswith('energy_thresholds_')]
    assert len(cached) == 1
    entry = torch.load(tmp_path / cached[0], weights_only=True)
    assert int(entry['num_samples']) == 12

    second = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(second, rows, tmp_path))
    assert second.teacher.calls == 0
    for name in ('low_energy_threshold', 'high_energy_threshold'):
        torch.testing.assert_close(
            getattr(second.distill_losses.loss_energy, name),
            getattr(first.distill_losses.loss_energy, name))

    # Other rates or other teacher weights are other keys: a new pass.
    third = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook(high_rate=0.5).before_train(_runner(third, rows, tmp_path))
    assert third.teacher.calls == 3
    fourth = FakeDistiller(loss_energy=_energy_kd())
    fourth.teacher.scale.fill_(2.0)
    EnergyThresholdHook().before_train(_runner(fourth, rows, tmp_path))
    assert fourth.teacher.calls == 3
    assert len(os.listdir(tmp_path)) == 1 + 2


def _cache_files(folder):
    return sorted(p for p in os.listdir(folder) if p.startswith('energy_thresholds_'))


def _thresholds(model):
    loss = model.distill_losses.loss_energy
    return loss.low_energy_threshold.item(), loss.high_energy_threshold.item()


def test_thresholds_of_another_training_set_are_recomputed(tmp_path):
    """A work dir holding the thresholds of one training set, another set trained in
    it: a new pass, the other set's thresholds."""
    first = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(first, _rows(12), tmp_path))
    other_rows = _rows(12, seed=1)
    second = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(second, other_rows, tmp_path))
    assert second.teacher.calls == 3
    energies = sorted(hand_energy(row) for row in other_rows)
    assert _thresholds(second) == pytest.approx((energies[2], energies[-3]), rel=1e-6)
    assert len(_cache_files(tmp_path)) == 2


def test_a_broken_or_foreign_threshold_file_is_recomputed(tmp_path, monkeypatch):
    """A truncated file, another key's file under this key's name, non-finite
    thresholds: each recomputed and rewritten, with a warning naming the file."""
    from kd_plugin.engine import energy
    warnings = []
    monkeypatch.setattr(
        energy, 'print_log', lambda message, *args, **kwargs: warnings.append(message)
        if kwargs.get('level') else None)
    rows = _rows(12)
    first = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(first, rows, tmp_path / 'a'))
    path = tmp_path / 'a' / _cache_files(tmp_path / 'a')[0]
    good = path.read_bytes()
    other = FakeDistiller(loss_energy=_energy_kd())
    EnergyThresholdHook().before_train(_runner(other, _rows(12, seed=1), tmp_path / 'b'))
    foreign = (tmp_path / 'b' / _cache_files(tmp_path / 'b')[0]).read_bytes()
    nan = torch.load(path, weights_only=True)
    nan['low'] = torch.tensor(float('nan'))
    torch.save(nan, tmp_path / 'nan.pth')
    cases = [
        (good[:len(good) // 2], 'cannot be read'),
        (foreign, 'another training set or teacher'),
        ((tmp_path / 'nan.pth').read_bytes(), 'non-finite'),
    ]
    for content, why in cases:
        path.write_bytes(content)
        warnings.clear()
        again = FakeDistiller(loss_energy=_energy_kd())
        EnergyThresholdHook().before_train(_runner(again, rows, tmp_path / 'a'))
        assert again.teacher.calls == 3
        assert _thresholds(again) == _thresholds(first)
        assert len(warnings) == 1 and str(path) in warnings[0]
        assert re.search(why, warnings[0]), warnings[0]
        assert path.read_bytes() != content and _cache_files(
            tmp_path / 'a') == [path.name]
        reused = FakeDistiller(loss_energy=_energy_kd())
        EnergyThresholdHook().before_train(_runner(reused, rows, tmp_path / 'a'))
        assert reused.teacher.calls == 0 and _thresholds(reused) == _thresholds(first)


def test_resumed_run_skips_the_pass(tmp_path):
    rows = _rows(8)
    trained = FakeDistiller(
        loss_energy=_energy_kd(), loss_aug=MODELS.build(dict(type='HighEnergyMix')))
    EnergyThresholdHook().before_train(_runner(trained, rows, tmp_path))
    state = trained.state_dict()
    assert 'distill_losses.loss_energy.low_energy_threshold' in state
    assert 'distill_losses.loss_aug.high_energy_threshold' in state

    resumed = FakeDistiller(
        loss_energy=_energy_kd(), loss_aug=MODELS.build(dict(type='HighEnergyMix')))
    assert not resumed.distill_losses.loss_energy.energy_thresholds_set
    resumed.load_state_dict(state)
    assert resumed.distill_losses.loss_energy.energy_thresholds_set
    EnergyThresholdHook().before_train(_runner(resumed, rows, tmp_path))
    assert resumed.teacher.calls == 0
    torch.testing.assert_close(resumed.state_dict(), state)

    # A checkpoint saved before the thresholds were set does not count as set.
    fresh_state = FakeDistiller(loss_energy=_energy_kd()).state_dict()
    loss = _energy_kd()
    loss.set_energy_thresholds(0.0, 1.0)
    loss.load_state_dict({
        k.split('loss_energy.')[1]: v
        for k, v in fresh_state.items() if 'loss_energy.' in k
    })
    assert not loss.energy_thresholds_set


def test_hook_refuses_a_different_energy_temperature(tmp_path):
    model = FakeDistiller(loss_energy=_energy_kd(energy_temperature=2.0))
    with pytest.raises(ValueError, match='energy_temperature'):
        EnergyThresholdHook().before_train(_runner(model, _rows(8), tmp_path))


def _logits_with_energies():
    """Teacher logits whose energies fall in known bands (low / mid / high)."""
    generator = torch.Generator().manual_seed(1)
    logits_t = torch.randn(6, 7, generator=generator, dtype=torch.float64) * 3
    logits_s = torch.randn(6, 7, generator=generator, dtype=torch.float64) * 3
    target = torch.randint(
        7, (6, ), generator=generator)
    energy = torch.tensor([hand_energy(row) for row in logits_t.tolist()],
                          dtype=torch.float64)
    ordered = energy.sort().values
    low = float((ordered[1] + ordered[2]) / 2)  # 2 samples below
    high = float((ordered[3] + ordered[4]) / 2)  # 2 samples above
    return logits_s, logits_t, target, energy, low, high


def _per_sample_kd(logits_s, logits_t, temperatures):
    values = []
    for i, temperature in enumerate(temperatures):
        kd = MODELS.build(dict(type='KDLoss', temperature=temperature))
        values.append(kd(logits_s=logits_s[i:i + 1], logits_t=logits_t[i:i + 1]))
    return torch.stack(values)


@pytest.mark.parametrize('match_reference', [True, False])
def test_energy_kd_per_sample_temperature(match_reference):
    logits_s, logits_t, _, energy, low, high = _logits_with_energies()
    loss = _energy_kd(match_reference=match_reference, loss_weight=0.9)
    loss.set_energy_thresholds(low, high)
    if match_reference:  # the code: confident (low-energy) samples get T = 2
        hand_t = [2.0 if e < low else 6.0 if e > high else 4.0 for e in energy.tolist()]
    else:  # the paper: low-energy samples get the higher T = 6
        hand_t = [6.0 if e < low else 2.0 if e > high else 4.0 for e in energy.tolist()]
    assert sorted(hand_t) == [2.0, 2.0, 4.0, 4.0, 6.0, 6.0]
    temperatures = loss.sample_temperatures(logits_t)
    torch.testing.assert_close(temperatures, torch.tensor(hand_t, dtype=torch.float64))
    value = loss(logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(value,
                               0.9 * _per_sample_kd(logits_s, logits_t, hand_t).mean())
    # A hand-written KL for one sample.
    i, t = 0, hand_t[0]
    p_t = F.softmax(logits_t[i] / t, 0)
    kl = (p_t * (p_t.log() - F.log_softmax(logits_s[i] / t, 0))).sum() * t * t
    per_sample = _energy_kd(match_reference=match_reference, reduction='none')
    per_sample.set_energy_thresholds(low, high)
    torch.testing.assert_close(per_sample(logits_s=logits_s, logits_t=logits_t)[i], kl)


def test_match_reference_swaps_the_mapping():
    _, logits_t, _, _, low, high = _logits_with_energies()
    code, paper = _energy_kd(), _energy_kd(match_reference=False)
    for loss in (code, paper):
        loss.set_energy_thresholds(low, high)
    t_code, t_paper = code.sample_temperatures(logits_t), paper.sample_temperatures(
        logits_t)
    torch.testing.assert_close(t_paper, 8.0 - t_code)  # 2 <-> 6, 4 stays


def test_crossed_thresholds_add_the_temperatures():
    """The reference adds the band masks: a sample in both bands gets T_low + T_high."""
    _, logits_t, _, energy, _, _ = _logits_with_energies()
    loss = _energy_kd()
    loss.set_energy_thresholds(float('inf'), float('-inf'))
    torch.testing.assert_close(
        loss.sample_temperatures(logits_t), torch.full_like(energy, 8.0))


def test_energy_kd_with_equal_temperatures_is_kd():
    logits_s, logits_t, _, _, low, high = _logits_with_energies()
    loss = _energy_kd(low_temperature=3.0, mid_temperature=3.0, high_temperature=3.0)
    loss.set_energy_thresholds(low, high)
    kd = MODELS.build(dict(type='KDLoss', temperature=3.0))
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t),
        kd(logits_s=logits_s, logits_t=logits_t))


@pytest.mark.parametrize('epoch', [0, 7, 30])
def test_energy_dkd_with_equal_temperatures_is_dkd(epoch):
    logits_s, logits_t, target, _, _, _ = _logits_with_energies()
    energy_dkd = MODELS.build(dict(type='EnergyDKDLoss', beta=6.0, loss_weight=2.0))
    energy_dkd.set_energy_thresholds(float('-inf'), float('inf'))  # all mid: T = 4
    dkd = MODELS.build(dict(type='DKDLoss', beta=6.0, temperature=4.0, loss_weight=2.0))
    args = dict(logits_s=logits_s, logits_t=logits_t, target=target, epoch=epoch)
    torch.testing.assert_close(energy_dkd(**args), dkd(**args))


@pytest.mark.parametrize('match_reference', [True, False])
def test_energy_dkd_is_dkd_at_each_sample_temperature(match_reference):
    logits_s, logits_t, target, _, low, high = _logits_with_energies()
    loss = MODELS.build(
        dict(type='EnergyDKDLoss', match_reference=match_reference, reduction='none'))
    loss.set_energy_thresholds(low, high)
    temperatures = loss.sample_temperatures(logits_t).tolist()
    per_sample = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=40)
    for i, temperature in enumerate(temperatures):
        dkd = MODELS.build(dict(type='DKDLoss', temperature=temperature))
        expected = dkd(
            logits_s=logits_s[i:i + 1],
            logits_t=logits_t[i:i + 1],
            target=target[i:i + 1],
            epoch=40)
        torch.testing.assert_close(per_sample[i], expected)
    warm = MODELS.build(dict(type='EnergyDKDLoss', match_reference=match_reference))
    warm.set_energy_thresholds(low, high)
    torch.testing.assert_close(
        warm(logits_s=logits_s, logits_t=logits_t, target=target, epoch=0),
        per_sample.mean() / 20)


@pytest.mark.parametrize(
    'cfg',
    [dict(type='EnergyKDLoss'),
     dict(type='EnergyDKDLoss'),
     dict(type='HighEnergyMix')])
def test_unset_thresholds_error(cfg):
    module = MODELS.build(cfg)
    logits = torch.randn(4, 5)
    args = dict(logits_s=logits, logits_t=logits)
    if cfg['type'] == 'EnergyDKDLoss':
        args.update(target=torch.zeros(4, dtype=torch.long), epoch=0)
    if cfg['type'] == 'HighEnergyMix':
        args = dict(inputs=torch.randn(4, 3, 8, 8), logits_t=logits)
    with pytest.raises(
            RuntimeError, match=r"custom_hooks=\[dict\(type='EnergyThresholdHook'\)\]"):
        module(**args)


def _mix_inputs():
    generator = torch.Generator().manual_seed(3)
    inputs = torch.randn(6, 3, 8, 10, generator=generator)
    # Energies in known bands: a large max logit means a low energy.
    logits_t = torch.zeros(6, 5)
    logits_t[:, 0] = torch.tensor([20.0, 0.0, 0.0, 20.0, 0.0, 10.0])
    return inputs, logits_t


def test_high_energy_mix_cutmix_equals_hand_built_batch():
    inputs, logits_t = _mix_inputs()
    mix = MODELS.build(dict(type='HighEnergyMix'))
    mix.set_energy_thresholds(float('-inf'), hand_energy([5.0, 0, 0, 0, 0]))
    mix.generator = torch.Generator().manual_seed(11)
    out = mix(inputs=inputs, logits_t=logits_t)
    # High energy (all-zero logits): samples 1, 2, 4; [x_0, x_1] always come first.
    batch = torch.stack([inputs[0], inputs[1], inputs[1], inputs[2], inputs[4]])
    replay = torch.Generator().manual_seed(11)
    lam = sample_beta(1.0, 1.0, replay)
    perm = torch.randperm(5, generator=replay).tolist()
    rows, cols = 8, 10
    cut_r, cut_c = int(rows * math.sqrt(1 - lam)), int(cols * math.sqrt(1 - lam))
    centre_r = int(torch.randint(rows, (1, ), generator=replay))
    centre_c = int(torch.randint(cols, (1, ), generator=replay))
    expected = batch.clone()
    for r in range(rows):
        for c in range(cols):
            inside = (
                max(centre_r - cut_r // 2, 0) <= r < min(centre_r + cut_r // 2, rows)
                and max(centre_c - cut_c // 2, 0) <= c < min(centre_c + cut_c // 2, cols))
            if inside:
                for n in range(5):
                    expected[n, :, r, c] = batch[perm[n], :, r, c]
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_high_energy_mix_mixup_equals_hand_built_batch():
    inputs, logits_t = _mix_inputs()
    mix = MODELS.build(dict(type='HighEnergyMix', augmentation='mixup'))
    mix.set_energy_thresholds(float('-inf'), hand_energy([15.0, 0, 0, 0, 0]))
    mix.generator = torch.Generator().manual_seed(5)
    out = mix(inputs=inputs, logits_t=logits_t)
    batch = torch.stack(
        [inputs[0], inputs[1], inputs[1], inputs[2], inputs[4], inputs[5]])
    replay = torch.Generator().manual_seed(5)
    lam = sample_beta(0.2, 0.2, replay)
    perm = torch.randperm(6, generator=replay)
    torch.testing.assert_close(out, lam * batch + (1 - lam) * batch[perm])


def test_high_energy_mix_keeps_first_two_when_nothing_is_selected():
    inputs, logits_t = _mix_inputs()
    mix = MODELS.build(dict(type='HighEnergyMix', augmentation='mixup'))
    mix.set_energy_thresholds(float('-inf'), float('inf'))
    assert mix(inputs=inputs, logits_t=logits_t).shape == (2, 3, 8, 10)


@pytest.mark.parametrize('a, mean, var', [(1.0, 0.5, 1 / 12),
                                          (0.2, 0.5, 0.04 / (0.16 * 1.4))])
def test_sample_beta_moments(a, mean, var):
    generator = torch.Generator().manual_seed(0)
    draws = torch.tensor([sample_beta(a, a, generator) for _ in range(4000)])
    assert draws.min() >= 0 and draws.max() <= 1
    assert abs(draws.mean() - mean) < 0.02
    assert abs(draws.var() - var) < 0.02


def test_runner_resume_keeps_thresholds_and_skips_the_pass(tmp_path, monkeypatch):
    """A real run stores the thresholds in its checkpoint; --resume reuses them."""
    from pathlib import Path

    from mmengine.config import Config
    from mmengine.runner import Runner

    from kd_plugin.apis.smoke import smoke_config

    config = (
        Path(__file__).resolve().parent.parent / 'configs' / 'energykd' /
        'energykd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    cfg = smoke_config(
        Config.fromfile(str(config)), iters=2, batch_size=2, work_dir=str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.model.distill_losses.loss_energykd
    assert loss.energy_thresholds_set
    thresholds = (loss.low_energy_threshold.clone(), loss.high_energy_threshold.clone())

    def no_pass(*args, **kwargs):
        raise AssertionError('the teacher pass ran on resume')

    monkeypatch.setattr(EnergyThresholdHook, 'teacher_energies', no_pass)
    resumed_cfg = cfg.copy()
    resumed_cfg.resume = True
    resumed_cfg.train_cfg.max_epochs = 2
    resumed_cfg.experiment_name = 'resumed'
    resumed = Runner.from_cfg(resumed_cfg)
    resumed.train()
    assert resumed.epoch == 2
    resumed_loss = resumed.model.distill_losses.loss_energykd
    torch.testing.assert_close(
        (resumed_loss.low_energy_threshold, resumed_loss.high_energy_threshold),
        thresholds)


def _gather_worker(rank, world_size, port, results):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    try:
        from kd_plugin.engine.energy import gather_energies
        local = torch.arange(3 + rank, dtype=torch.float32) + 10 * rank  # 3 and 4 values
        gathered = gather_energies(local)
        results[rank] = energy_thresholds(gathered, 0.2, 0.2) + (gathered.tolist(), )
    finally:
        dist.destroy_process_group()


def test_ranks_gather_energies_and_agree():
    import socket

    import torch.multiprocessing as mp
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    results = mp.Manager().dict()
    mp.start_processes(
        _gather_worker, args=(2, port, results), nprocs=2, join=True, start_method='fork')
    everything = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0, 13.0]
    for rank in range(2):
        low, high, gathered = results[rank]
        assert gathered == everything
        assert (low, high) == (everything[1], everything[-2])  # floor(7 * 0.2) = 1
