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


def _terms(logits_s, logits_t, target, temperature):
    """Per-sample TCKD, NCKD (DKDLoss, checked against mdistiller) and beta_i."""
    common = dict(
        type='DKDLoss', temperature=temperature, warmup_epochs=0, reduction='none')
    inputs = dict(logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)
    tckd = MODELS.build(dict(alpha=1.0, beta=0.0, **common))(**inputs)
    nckd = MODELS.build(dict(alpha=0.0, beta=1.0, **common))(**inputs)
    p_t_y = F.softmax(logits_t / temperature, 1).gather(1, target[:, None]).squeeze(1)
    beta = 8.0 * torch.exp(-(1 - torch.maximum(p_t_y, 1 - p_t_y)))
    return tckd, nckd, beta


@pytest.mark.parametrize('case', reference_cases('EDKDLoss'))
def test_edkd_matches_reference(case):
    check_reference_case(case)


@pytest.mark.parametrize('match_reference', [True, False])
def test_edkd_by_hand(match_reference):
    logits_s, logits_t, target = _logits()
    tckd, nckd, beta = _terms(logits_s, logits_t, target, 4.0)
    assert ((beta >= 8 * math.exp(-0.5)) & (beta <= 8)).all()
    loss = MODELS.build(
        dict(
            type='EDKDLoss',
            temperature=4.0,
            warmup_epochs=20,
            loss_weight=2.0,
            match_reference=match_reference))
    value = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=4)
    if match_reference:  # the dynamic beta acts through its batch mean
        expected = tckd.mean() + beta.mean() * nckd.mean()
    else:
        expected = (tckd + beta * nckd).mean()
    torch.testing.assert_close(value, 2.0 * 0.25 * expected)


def test_edkd_per_sample_is_the_reference_vector():
    logits_s, logits_t, target = _logits()
    tckd, nckd, beta = _terms(logits_s, logits_t, target, 4.0)
    per_sample = MODELS.build(dict(type='EDKDLoss', reduction='none'))(
        logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    torch.testing.assert_close(per_sample, tckd.mean() + beta * nckd.mean())


def test_edkd_soft_target_uses_argmax():
    logits_s, logits_t, target = _logits()
    loss = MODELS.build(dict(type='EDKDLoss'))
    mixed = 0.6 * F.one_hot(target, 10).double() + 0.4 * F.one_hot(target.roll(1), 10)
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t, target=mixed, epoch=30),
        loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30))


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_edkd_half_precision(dtype):
    logits_s, logits_t, target = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = MODELS.build(dict(type='EDKDLoss', temperature=1.0))
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
