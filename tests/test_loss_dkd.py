import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases

from kd_plugin.models.dis_losses.utils import standardize_logits


def _logits(batch=8, classes=10, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    logits_t = torch.randn(batch, classes, generator=generator, dtype=dtype) * 2
    logits_s = 0.6 * logits_t + torch.randn(
        batch, classes, generator=generator, dtype=dtype) * 2
    target = torch.randint(
        classes, (batch, ), generator=generator)
    return logits_s, logits_t, target


def _dkd(**kwargs):
    return MODELS.build(dict(type='DKDLoss', **kwargs))


@pytest.mark.parametrize('case', reference_cases('DKDLoss'))
def test_dkd_matches_mdistiller(case):
    check_reference_case(case)


def test_dkd_with_coupled_weight_is_kd():
    """KD = TCKD + (1 - p^t_y) NCKD per sample (the paper's decomposition)."""
    logits_s, logits_t, target = _logits()
    temperature = 3.0
    common = dict(temperature=temperature, warmup_epochs=0, reduction='none')
    tckd = _dkd(
        alpha=1.0, beta=0.0, **common)(
            logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)
    nckd = _dkd(
        alpha=0.0, beta=1.0, **common)(
            logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)
    p_t_y = F.softmax(logits_t / temperature, dim=1).gather(1, target[:, None]).squeeze(1)
    kd = MODELS.build(dict(type='KDLoss', temperature=temperature, reduction='none'))(
        logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(tckd + (1 - p_t_y) * nckd, kd)


def test_dkd_warmup_and_reductions():
    logits_s, logits_t, target = _logits()
    loss = _dkd(warmup_epochs=20, loss_weight=2.0)
    full = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=19)
    first = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)
    torch.testing.assert_close(first, full * 0.05)
    per_sample = _dkd(
        loss_weight=2.0, reduction='none')(
            logits_s=logits_s, logits_t=logits_t, target=target, epoch=25)
    assert per_sample.shape == (8, )
    torch.testing.assert_close(per_sample.mean(), full)
    assert loss(
        logits_s=logits_t, logits_t=logits_t, target=target, epoch=30).abs() < 1e-12


def test_dkd_soft_target_uses_argmax():
    logits_s, logits_t, target = _logits()
    loss = _dkd()
    hard = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    one_hot = F.one_hot(target, 10).double()
    mixed = 0.7 * one_hot + 0.3 * one_hot.roll(1, dims=0)
    for soft in (one_hot, mixed):
        torch.testing.assert_close(
            loss(logits_s=logits_s, logits_t=logits_t, target=soft, epoch=30), hard)


def test_dkd_logit_standardization_is_dkd_on_standardized_logits():
    logits_s, logits_t, target = _logits()
    kwargs = dict(alpha=9.0, beta=72.0, temperature=2.0)
    with_ls = _dkd(
        logit_standardization=True, **kwargs)(
            logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    on_standardized = _dkd(**kwargs)(
        logits_s=standardize_logits(logits_s),
        logits_t=standardize_logits(logits_t),
        target=target,
        epoch=30)
    torch.testing.assert_close(with_ls, on_standardized)


def test_dkd_confident_logits_stay_finite():
    """mdistiller's log(sum of non-target probabilities) is log 0 here; ours is not."""
    logits_t = torch.full((2, 10), -60.0)
    logits_t[:, 0] = 60.0
    logits_s = logits_t.clone()
    logits_s[:, 1] = -50.0
    logits_s.requires_grad_(True)
    target = torch.zeros(2, dtype=torch.long)
    reference_style = F.softmax(logits_s.detach(), dim=1)[:, 1:].sum(1).log()
    assert torch.isinf(reference_style).all()
    loss = _dkd(temperature=1.0)
    value = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits_s.grad).all()
    exact = loss(
        logits_s=logits_s.double(), logits_t=logits_t.double(), target=target, epoch=30)
    torch.testing.assert_close(value.double(), exact, rtol=1e-5, atol=0)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_dkd_half_precision(dtype):
    logits_s, logits_t, target = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = _dkd(temperature=1.0)
    low = loss(
        logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype), target=target, epoch=30)
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(),
        logits_t=logits_t.to(dtype).float(),
        target=target,
        epoch=30)
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
