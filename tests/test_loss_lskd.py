import pytest
import torch
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


@pytest.mark.parametrize('case', reference_cases('LSKDLoss'))
def test_lskd_matches_reference(case):
    check_reference_case(case)


def test_standardize_logits_by_hand():
    logits = torch.tensor([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]], dtype=torch.float64)
    mean = logits.mean(1, keepdim=True)
    std = ((logits - mean)**2).sum(1, keepdim=True).div(3 - 1).sqrt()  # unbiased
    torch.testing.assert_close(standardize_logits(logits), (logits - mean) / (std + 1e-7))
    assert standardize_logits(logits.half()).dtype == torch.float32


def test_lskd_is_kd_on_standardized_logits_and_affine_invariant():
    logits_s, logits_t, _ = _logits()
    lskd = MODELS.build(dict(type='LSKDLoss', temperature=2.0, loss_weight=9.0))
    kd = MODELS.build(dict(type='KDLoss', temperature=2.0, loss_weight=9.0))
    value = lskd(logits_s=logits_s, logits_t=logits_t)
    on_standardized = kd(
        logits_s=standardize_logits(logits_s), logits_t=standardize_logits(logits_t))
    torch.testing.assert_close(value, on_standardized)
    # Per-sample shifts and positive scales of either logit vector change nothing
    # (up to the 1e-7 added to the std).
    scale = torch.linspace(0.5, 3.0, 8, dtype=torch.float64)[:, None]
    shift = torch.linspace(-4.0, 4.0, 8, dtype=torch.float64)[:, None]
    torch.testing.assert_close(
        lskd(logits_s=logits_s * scale + shift, logits_t=logits_t / scale - shift),
        value,
        rtol=1e-6,
        atol=0)


def test_logit_standardization_options():
    """DKD, EDKD and CTKD with ``logit_standardization`` run on standardised logits."""
    logits_s, logits_t, target = _logits()
    z_s, z_t = standardize_logits(logits_s), standardize_logits(logits_t)
    for loss_type, extra in (('DKDLoss', dict(target=target, epoch=30)),
                             ('EDKDLoss', dict(target=target,
                                               epoch=30)), ('CTKDLoss', dict(epoch=3))):
        with_ls = MODELS.build(dict(type=loss_type, logit_standardization=True))
        plain = MODELS.build(dict(type=loss_type))
        torch.testing.assert_close(
            with_ls.double()(logits_s=logits_s, logits_t=logits_t, **extra),
            plain.double()(logits_s=z_s, logits_t=z_t, **extra),
            msg=loss_type)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_lskd_half_precision(dtype):
    logits_s, logits_t, _ = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = MODELS.build(dict(type='LSKDLoss'))
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype))
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(), logits_t=logits_t.to(dtype).float())
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
