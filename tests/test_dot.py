"""DOT (distillation-oriented trainer) as an optimizer wrapper: its update against a
float64 re-derivation of the recurrences, through the runner, across a resume and DDP."""
import itertools
import multiprocessing
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner

from kd_plugin.engine import DOTOptimWrapper
from kd_plugin.utils import safe_load

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()

LR, WEIGHT_DECAY, MOMENTUM, DELTA = 0.1, 0.01, 0.9, 0.075
W = torch.tensor([0.5, 1.0, 2.0], dtype=torch.double)
T = torch.tensor([1.0, -1.0, 0.5], dtype=torch.double)
S = torch.tensor([3.0, 0.25], dtype=torch.double)


def initial_params():
    """``both`` gets task and distillation gradients, ``task`` / ``distill`` one of
    them, ``unused`` none."""
    generator = torch.Generator().manual_seed(0)
    shapes = dict(both=3, task=2, distill=2, unused=2)
    return {
        name: torch.randn(size, generator=generator, dtype=torch.double)
        for name, size in shapes.items()
    }


def loss_terms(params):
    return dict(
        loss_cls=0.5 * (W * params['both']**2).sum() + (params['task']**3).sum() / 3,
        loss_kd=0.5 * ((params['both'] - T)**2).sum() + 0.5 *
        (S * params['distill']**2).sum(),
        accuracy=torch.tensor(0.5))  # not a loss term: ignored


def reference_dot(params,
                  steps,
                  lr=LR,
                  weight_decay=WEIGHT_DECAY,
                  momentum=MOMENTUM,
                  delta=DELTA):
    """mdistiller's DOT written out on the hand-derived gradients:
    d/da [0.5 w a^2] = w a, d/db [b^3 / 3] = b^2, d/da [0.5 (a - t)^2] = a - t,
    d/dc [0.5 s c^2] = s c."""
    a, b, c = (params[k].clone() for k in ('both', 'task', 'distill'))
    v_task_a = v_distill_a = v_task_b = v_distill_c = None
    for _ in range(steps):
        g_task_a, g_distill_a = W * a + weight_decay * a, a - T
        g_task_b = b * b + weight_decay * b
        # (mu - delta) / (mu + delta) where both gradients meet, mu where one does.
        v_task_a = g_task_a if v_task_a is None else (momentum -
                                                      delta) * v_task_a + g_task_a
        v_distill_a = (
            g_distill_a if v_distill_a is None else
            (momentum + delta) * v_distill_a + g_distill_a)
        v_task_b = g_task_b if v_task_b is None else momentum * v_task_b + g_task_b
        # Distillation-only: no weight decay in the very first buffer (as the original).
        v_distill_c = (
            S * c if v_distill_c is None else momentum * v_distill_c + S * c +
            weight_decay * c)
        a = a - lr * v_task_a - lr * v_distill_a
        b = b - lr * v_task_b
        c = c - lr * v_distill_c
    return dict(both=a, task=b, distill=c, unused=params['unused'])


def dot_wrapper(params, **kwargs):
    optimizer = torch.optim.SGD(
        list(params.values()), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    return DOTOptimWrapper(optimizer=optimizer, **{'delta': DELTA, **kwargs})


def test_dot_step_matches_the_recurrences_in_float64():
    start = initial_params()
    params = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    wrapper = dot_wrapper(params)
    for _ in range(4):
        wrapper.update_params(loss_terms(params))
    expected = reference_dot(start, steps=4)
    for name in params:
        torch.testing.assert_close(
            params[name].detach(), expected[name], rtol=1e-13, atol=1e-14)
    state = wrapper.optimizer.state
    assert set(state[params['both']]) == {'momentum_buffer', 'momentum_kd_buffer'}
    assert set(state[params['task']]) == {'momentum_buffer'}
    assert set(state[params['distill']]) == {'momentum_kd_buffer'}
    assert params['unused'] not in state
    assert all(p.grad is None for p in params.values())


def test_zero_delta_is_sgd_on_the_sum():
    """With delta 0 both buffers share the momentum: their sum is SGD's buffer."""
    start = initial_params()
    dot_params = {k: start[k].clone().requires_grad_(True) for k in ('both', 'task')}
    sgd_params = {k: start[k].clone().requires_grad_(True) for k in ('both', 'task')}
    wrapper = dot_wrapper(dot_params, delta=0.0)
    sgd = torch.optim.SGD(
        list(sgd_params.values()), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    for _ in range(5):
        wrapper.update_params(loss_terms({**start, **dot_params}))
        sgd.zero_grad()
        terms = loss_terms({**start, **sgd_params})
        (terms['loss_cls'] + terms['loss_kd']).backward()
        sgd.step()
    for name in dot_params:
        torch.testing.assert_close(dot_params[name], sgd_params[name], rtol=1e-12, atol=0)


def test_task_terms_are_configurable_and_checked():
    start = initial_params()
    params = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    wrapper = dot_wrapper(
        params, task_losses=('loss_kd', ))  # roles swapped
    for _ in range(2):
        wrapper.update_params(loss_terms(params))
    unswapped = reference_dot(start, steps=2)
    assert not torch.allclose(params['both'].detach(), unswapped['both'])
    with pytest.raises(ValueError, match="'loss_cl'.*closest: 'loss_cls'"):
        dot_wrapper(
            params, task_losses=('loss_cl', )).update_params(loss_terms(params))
    with pytest.raises(ValueError, match='needs distillation terms'):
        dot_wrapper(params).update_params(dict(loss_cls=loss_terms(params)['loss_cls']))
    with pytest.raises(RuntimeError, match='optim_context'):
        dot_wrapper(params).update_params(loss_terms(params)['loss_cls'])


def test_bad_optimizer_settings_are_refused():
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(TypeError, match="optimizer.type='SGD'"):
        DOTOptimWrapper(optimizer=torch.optim.Adam(params))
    with pytest.raises(ValueError, match='nesterov'):
        DOTOptimWrapper(
            optimizer=torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True))
    with pytest.raises(ValueError, match='momentum > delta'):
        DOTOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1), delta=0.075)
    with pytest.raises(ValueError, match='accumulative_counts'):
        DOTOptimWrapper(
            optimizer=torch.optim.SGD(params, lr=0.1, momentum=0.9),
            accumulative_counts=2)


# ----------------------------------------------------------------- through the runner
def train(work_dir: Path, max_epochs: int, resume: bool = False) -> Runner:
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.train_dataloader.dataset.pipeline = [dict(type='PackInputs')]
    cfg.optim_wrapper = dict(
        type='DOTOptimWrapper',
        delta=0.075,
        optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'dot_{next(_RUN_IDS)}'
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.logger.interval = 100
    cfg.resume = resume
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_runner_trains_with_both_buffers_and_resumes_bit_identically(tmp_path):
    train(tmp_path / 'straight', max_epochs=2)
    train(tmp_path / 'resumed', max_epochs=1)
    runner = train(tmp_path / 'resumed', max_epochs=2, resume=True)
    assert isinstance(runner.optim_wrapper, DOTOptimWrapper)

    first = safe_load(str(tmp_path / 'resumed' / 'epoch_1.pth'), map_location='cpu')
    buffers = [set(s) for s in first['optimizer']['state'].values()]
    assert buffers and all(s == {'momentum_buffer', 'momentum_kd_buffer'}
                           for s in buffers)

    straight, resumed = (
        safe_load(str(tmp_path / run / 'epoch_2.pth'), map_location='cpu')
        for run in ('straight', 'resumed'))
    different = [
        k for k in straight['state_dict']
        if not torch.equal(straight['state_dict'][k], resumed['state_dict'][k])
    ]
    assert not different, f'resumed run differs in {different[:8]}'
    for index, state in straight['optimizer']['state'].items():
        for key, value in state.items():
            assert torch.equal(value, resumed['optimizer']['state'][index][key])


# -------------------------------------------------------------------------- DDP
class TwoTermModel(nn.Module):
    """A student whose forward(mode='loss') returns a task and a distillation term."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2).double()
        self.register_buffer('calls', torch.zeros((), dtype=torch.double))

    def forward(self, inputs, target=None, mode='loss'):
        self.calls += 1
        out = self.linear(inputs)
        return dict(
            loss_cls=nn.functional.cross_entropy(out, target),
            loss_kd=(out - inputs[:, :2]).pow(2).sum(1).mean())


def ddp_batches():
    generator = torch.Generator().manual_seed(3)
    return [(torch.randn(4, 3, generator=generator, dtype=torch.double),
             torch.randint(2, (4, ), generator=generator)) for _ in range(3)]


def run_steps(model, wrapper, batches, rows):
    for inputs, target in batches:
        with wrapper.optim_context(model):
            model(inputs[rows], target[rows], mode='loss')
        wrapper.update_params(torch.zeros(()))


def ddp_worker(rank: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as torch_dist
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.manual_seed(0)
    module = TwoTermModel()
    if rank == 1:  # rank 0's buffers win, as DDP's broadcast_buffers
        module.calls.fill_(100)
    model = nn.parallel.DistributedDataParallel(module, broadcast_buffers=True)
    wrapper = DOTOptimWrapper(
        optimizer=torch.optim.SGD(
            module.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4))
    run_steps(model, wrapper, ddp_batches(), slice(2 * rank, 2 * rank + 2))
    torch.save(module.state_dict(), f'{out_dir}/rank{rank}.pth')
    torch_dist.destroy_process_group()


def test_ddp_averages_both_gradients_as_one_process_on_the_whole_batch(tmp_path):
    context = multiprocessing.get_context('fork')
    workers = [
        context.Process(
            target=ddp_worker, args=(rank, str(tmp_path / 'init'), str(tmp_path)))
        for rank in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    ranks = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]

    torch.manual_seed(0)
    single = TwoTermModel()
    wrapper = DOTOptimWrapper(
        optimizer=torch.optim.SGD(
            single.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4))
    run_steps(single, wrapper, ddp_batches(), slice(0, 4))
    for name, value in single.state_dict().items():
        torch.testing.assert_close(ranks[0][name], ranks[1][name], rtol=0, atol=0)
        torch.testing.assert_close(ranks[0][name], value, rtol=1e-12, atol=1e-14)
