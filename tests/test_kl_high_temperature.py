"""KDLoss stays accurate in float32 at any temperature (issue 14: at T=1e6 float32 gave
44711 where float64 gives 7.80).

References, derived independently of the implementation: for moderate T the textbook
form in float64; for large T the limit of Hinton et al. (2015, section 2.1), where
``T^2 KL(softmax(z_t / T) || softmax(z_s / T)) -> (1 / 2C) sum_c (g_c - mean g)^2`` with
``g = z_t - z_s`` (relative error O(|z| / T)), whose gradient in ``z_s`` is
``-(g - mean g) / C``.
"""
import pytest
import torch
import torch.nn.functional as F

from kd_plugin.models.dis_losses import KDLoss
from kd_plugin.models.dis_losses.utils import (
    PLAIN_FORM_MAX_TEMPERATURE,
    temperature_scaled_kl,
)


@pytest.fixture
def logits():
    generator = torch.Generator().manual_seed(0)
    return (3 * torch.randn(8, 100, generator=generator),
            3 * torch.randn(8, 100, generator=generator))


def textbook_per_sample(logits_s, logits_t, temperature):
    log_p_s = F.log_softmax(logits_s.double() / temperature, dim=1)
    log_p_t = F.log_softmax(logits_t.double() / temperature, dim=1)
    return (log_p_t.exp() * (log_p_t - log_p_s)).sum(1) * temperature**2


def textbook(logits_s, logits_t, temperature):
    return textbook_per_sample(logits_s, logits_t, temperature).mean()


def high_temperature_limit(logits_s, logits_t):
    gap = (logits_t - logits_s).double()
    gap = gap - gap.mean(1, keepdim=True)
    return gap.pow(2).mean(1).mean() / 2, -gap / gap.shape[1] / gap.shape[0]


@pytest.mark.parametrize('temperature', [0.5, 1.0, 4.0, 16.0])
def test_float32_matches_float64_at_usual_temperatures(logits, temperature):
    loss = KDLoss(temperature=temperature)(*logits)
    assert loss.dtype == torch.float32
    expected = textbook(*logits, temperature).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('temperature', [1e4, 1e6, 1e8])
def test_float32_is_accurate_at_large_temperatures(logits, temperature):
    logits_s = logits[0].clone().requires_grad_()
    loss = KDLoss(temperature=temperature)(logits_s, logits[1])
    loss.backward()
    value, gradient = high_temperature_limit(*logits)
    assert loss.item() == pytest.approx(value.item(), rel=1e-4)
    if temperature >= 1e6:  # the limit's own error is O(|z| / T)
        assert torch.allclose(logits_s.grad.double(), gradient, rtol=1e-3, atol=1e-7)


def test_the_issue_case_matches_float64(logits):
    """T=1e6 in float32 against the textbook form in float64 (itself within ~1e-5)."""
    loss = KDLoss(temperature=1e6)(*logits)
    assert loss.item() == pytest.approx(textbook(*logits, 1e6).item(), rel=1e-3)


@pytest.mark.parametrize('temperature',
                         [PLAIN_FORM_MAX_TEMPERATURE, 2 * PLAIN_FORM_MAX_TEMPERATURE])
def test_both_sides_of_the_plain_form_limit_match_float64(logits, temperature):
    """Up to the limit the plain float32 form (the original code's), above it the
    float64 one: both agree with the textbook form in float64, per sample."""
    got = temperature_scaled_kl(*logits, temperature)
    assert got.dtype == torch.float32
    expected = textbook_per_sample(*logits, temperature)
    torch.testing.assert_close(got.double(), expected, rtol=3e-5, atol=0)
