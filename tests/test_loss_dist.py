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
    return logits_s, logits_t


def _dist(**kwargs):
    return MODELS.build(dict(type='DISTLoss', **kwargs))


@pytest.mark.parametrize('case', reference_cases('DISTLoss'))
def test_dist_matches_image_classification_sota(case):
    check_reference_case(case)


def test_dist_by_hand():
    """Inter = 1 - mean row correlation, intra = 1 - mean column correlation (numpy's
    corrcoef), scaled by tau^2; (almost) zero for identical predictions."""
    logits_s, logits_t = _logits()
    tau = 2.0
    y_s, y_t = F.softmax(logits_s / tau, 1), F.softmax(logits_t / tau, 1)

    def mean_correlation(a, b):
        return torch.stack(
            [torch.corrcoef(torch.stack([u, v]))[0, 1] for u, v in zip(a, b)]).mean()

    inter = 1 - mean_correlation(y_s, y_t)
    intra = 1 - mean_correlation(y_s.t(), y_t.t())
    loss = _dist(beta=2.0, gamma=0.5, temperature=tau, loss_weight=3.0)
    # rtol: the reference's eps=1e-8 on the product of the norms (about 1e-2 here).
    expected = 3.0 * tau**2 * (2.0 * inter + 0.5 * intra)
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t), expected, rtol=1e-5, atol=0)
    assert 0 <= loss(logits_s=logits_t, logits_t=logits_t) < 1e-4  # 0 up to that eps


def test_dist_intra_term_is_a_batch_statistic():
    """Only the intra-class part couples the samples of a batch."""
    logits_s, logits_t = _logits(batch=16)
    inter = _dist(gamma=0.0)
    halves = (inter(logits_s=logits_s[:8], logits_t=logits_t[:8]) +
              inter(logits_s=logits_s[8:], logits_t=logits_t[8:])) / 2
    torch.testing.assert_close(inter(logits_s=logits_s, logits_t=logits_t), halves)
    intra = _dist(beta=0.0)
    halves = (intra(logits_s=logits_s[:8], logits_t=logits_t[:8]) +
              intra(logits_s=logits_s[8:], logits_t=logits_t[8:])) / 2
    assert not torch.allclose(intra(logits_s=logits_s, logits_t=logits_t), halves)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_dist_half_precision(dtype):
    logits_s, logits_t = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = _dist(temperature=4.0)
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype))
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(), logits_t=logits_t.to(dtype).float())
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
