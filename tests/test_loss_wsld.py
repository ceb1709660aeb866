import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases


def _logits(batch=8, classes=10, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    logits_t = torch.randn(batch, classes, generator=generator, dtype=dtype) * 2
    logits_s = 0.6 * logits_t + torch.randn(
        batch, classes, generator=generator, dtype=dtype) * 2
    target = torch.randint(
        classes, (batch, ), generator=generator)
    return logits_s, logits_t, target


def _wsld(**kwargs):
    return MODELS.build(dict(type='WSLDLoss', **kwargs))


@pytest.mark.parametrize('case', reference_cases('WSLDLoss'))
def test_wsld_matches_cls_kd(case):
    check_reference_case(case)


def test_wsld_by_hand():
    """Student = teacher: r = 1, weight 1 - 1/e, soft CE = teacher entropy."""
    _, logits_t, target = _logits()
    temperature = 4.0
    per_sample = _wsld(
        temperature=temperature, loss_weight=1.0, reduction='none')(
            logits_s=logits_t, logits_t=logits_t, target=target)
    p_t = F.softmax(logits_t / temperature, dim=1)
    entropy = -(p_t * p_t.log()).sum(1)
    torch.testing.assert_close(
        per_sample, (1 - math.exp(-1)) * temperature**2 * entropy, rtol=1e-6, atol=0)


def test_wsld_weight_carries_no_gradient():
    logits_s, logits_t, target = _logits()
    logits_s.requires_grad_(True)
    temperature = 4.0
    per_sample = _wsld(
        temperature=temperature, loss_weight=1.0, reduction='none')(
            logits_s=logits_s, logits_t=logits_t, target=target)
    soft_ce = -(F.softmax(logits_t / temperature, 1) *
                F.log_softmax(logits_s / temperature, 1)).sum(1) * temperature**2
    weight = (per_sample / soft_ce).detach()
    assert ((weight > 0) & (weight < 1)).all()
    grad, = torch.autograd.grad(per_sample.sum(), logits_s)
    expected, = torch.autograd.grad((weight * soft_ce).sum(), logits_s)
    torch.testing.assert_close(grad, expected)


def test_wsld_soft_target():
    """One-hot scores equal labels; mixed scores weight by soft-target cross-entropies."""
    logits_s, logits_t, target = _logits()
    temperature = 4.0
    loss = _wsld(temperature=temperature, loss_weight=1.0, reduction='none')
    hard = loss(logits_s=logits_s, logits_t=logits_t, target=target)
    one_hot = F.one_hot(target, 10).double()
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t, target=one_hot), hard)
    mixed = 0.7 * one_hot + 0.3 * one_hot.roll(1, dims=0)
    ce_s = -(mixed * F.log_softmax(logits_s, 1)).sum(1)
    ce_t = -(mixed * F.log_softmax(logits_t, 1)).sum(1)
    soft_ce = -(F.softmax(logits_t / temperature, 1) *
                F.log_softmax(logits_s / temperature, 1)).sum(1)
    expected = (1 - torch.exp(-ce_s / (ce_t + 1e-7))) * soft_ce * temperature**2
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t, target=mixed), expected)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_wsld_half_precision(dtype):
    logits_s, logits_t, target = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = _wsld()
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype), target=target)
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(),
        logits_t=logits_t.to(dtype).float(),
        target=target)
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t, target=target)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
