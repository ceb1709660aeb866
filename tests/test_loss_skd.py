import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases

from kd_plugin.models.dis_losses.utils import below_median


@pytest.mark.parametrize('case', reference_cases('SKDLoss'))
def test_skd_matches_streamlined(case):
    check_reference_case(case)


def numpy_skd(logits_s, logits_t, temperature, tik, weight, match_reference):
    """SKD written out with numpy's cov / inv / percentile (independent of the module)."""
    num_classes = logits_s.shape[1]

    def softmax(z):
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    p_t, p_s = softmax(logits_t / temperature), softmax(logits_s / temperature)
    kd = temperature**2 * np.mean(np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=1))
    unit_s = logits_s / np.linalg.norm(logits_s, axis=1, keepdims=True)
    unit_t = logits_t / np.linalg.norm(logits_t, axis=1, keepdims=True)
    diff = unit_s @ unit_s.T - unit_t @ unit_t.T
    if match_reference:
        diff = diff / num_classes
    cov_inv = np.linalg.inv(np.cov(diff.T) + tik * np.eye(len(diff)))
    directional = np.mean([np.sqrt(d @ cov_inv @ d) for d in diff])
    if not match_reference:
        return weight * (kd + directional)
    probs = softmax(logits_t)
    confidence, class_sum = probs.max(1), probs.sum(0)
    f_m = np.mean(confidence <= np.percentile(confidence, 50))
    f_k = np.mean(class_sum <= np.percentile(class_sum, 50))
    return weight * (f_m * kd + f_k * directional)


@pytest.mark.parametrize('match_reference', [True, False])
@pytest.mark.parametrize('batch_size', [6, 7])
def test_skd_against_numpy(match_reference, batch_size):
    generator = torch.Generator().manual_seed(batch_size)
    logits_t = torch.randn(batch_size, 12, generator=generator, dtype=torch.float64) * 3
    logits_s = 0.5 * logits_t + torch.randn(
        batch_size, 12, generator=generator, dtype=torch.float64)
    loss = MODELS.build(
        dict(
            type='SKDLoss',
            temperature=4.0,
            tik=0.1,
            loss_weight=0.9,
            match_reference=match_reference))
    expected = numpy_skd(logits_s.numpy(), logits_t.numpy(), 4.0, 0.1, 0.9,
                         match_reference)
    np.testing.assert_allclose(loss(logits_s, logits_t).item(), expected, rtol=1e-10)


def test_mask_broadcast_is_a_fraction():
    """The reference's masks scale each reduced term by the fraction of their ones."""
    generator = torch.Generator().manual_seed(0)
    logits_t = torch.randn(7, 10, generator=generator, dtype=torch.float64) * 3
    logits_s = torch.randn(7, 10, generator=generator, dtype=torch.float64) * 3
    probs = torch.softmax(logits_t, dim=1)
    # 7 samples: 4 are <= the median confidence; 10 classes: exactly 5.
    assert below_median(probs.max(1).values).sum() == 4
    assert below_median(probs.sum(0)).sum() == 5
    skd = MODELS.build(dict(type='SKDLoss', temperature=4.0))
    kd = MODELS.build(dict(type='KDLoss', temperature=4.0))(logits_s, logits_t)
    directional = skd._directional(logits_s, logits_t)
    torch.testing.assert_close(skd(logits_s, logits_t), 4 / 7 * kd + 5 / 10 * directional)


def test_below_median_matches_numpy_percentile():
    for values in ([1., 2., 2., 3.], [3., 1., 2.], [5., 5., 5., 5.], [0.3, 0.1, 0.2,
                                                                      0.4]):
        expected = np.asarray(values) <= np.percentile(values, 50)
        assert below_median(torch.tensor(values)).tolist() == expected.tolist()


def test_skd_zero_for_identical_logits_with_finite_gradient():
    logits = torch.randn(8, 10, dtype=torch.float64) * 3
    student = logits.clone().requires_grad_()
    value = MODELS.build(dict(type='SKDLoss'))(student, logits)
    assert value.abs().item() < 1e-12
    value.backward()
    assert torch.isfinite(student.grad).all()


def test_skd_half_precision():
    torch.manual_seed(0)
    logits_t = torch.randn(16, 100) * 4
    logits_s = 0.6 * logits_t + torch.randn(16, 100) * 2
    for match_reference in (True, False):
        loss = MODELS.build(dict(type='SKDLoss', match_reference=match_reference))
        reference = loss(logits_s.half().float(), logits_t.half().float())
        half = loss(logits_s.half(), logits_t.half())
        assert half.dtype == torch.float32 and torch.isfinite(half)
        torch.testing.assert_close(half, reference)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            autocast = loss(logits_s, logits_t)
        torch.testing.assert_close(autocast, loss(logits_s, logits_t))


def test_skd_refuses_a_single_sample():
    with pytest.raises(ValueError, match='at least 2 samples'):
        MODELS.build(dict(type='SKDLoss'))(torch.randn(1, 10), torch.randn(1, 10))
