import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases

TEMPERATURES = (4.0, 3.0, 5.0, 2.0, 6.0)


@pytest.mark.parametrize('case', reference_cases('MLKDLoss'))
def test_mlkd_matches_reference(case):
    check_reference_case(case)


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def numpy_mlkd(weak_s, weak_t, strong_s, strong_t, weight, match_reference):
    """MLKD written out with numpy (loops over sample / class pairs for the masks)."""
    probs = _softmax(weak_t)
    confidence, class_sum = probs.max(1), probs.sum(0)
    m = (confidence <= np.percentile(confidence, 50)).astype(float)
    k = (class_sum <= np.percentile(class_sum, 50)).astype(float)
    batch, classes = weak_s.shape

    def kd(z_s, z_t, T):
        p_s, p_t = _softmax(z_s / T), _softmax(z_t / T)
        return T**2 * np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=1)

    def cc(z_s, z_t, T, mask):
        p_s, p_t = _softmax(z_s / T), _softmax(z_t / T)
        gap = (p_t.T @ p_t - p_s.T @ p_s)**2
        return sum(mask[a] * mask[b] * gap[a, b] for a in range(classes)
                   for b in range(classes)) / classes

    def bc(z_s, z_t, T, mask):
        p_s, p_t = _softmax(z_s / T), _softmax(z_t / T)
        gap = (p_t @ p_t.T - p_s @ p_s.T)**2
        return sum(mask[a] * mask[b] * gap[a, b] for a in range(batch)
                   for b in range(batch)) / batch

    all_classes, all_samples = np.ones(classes), np.ones(batch)
    total = 0.
    for index, T in enumerate(TEMPERATURES):
        if match_reference:
            total += m.mean() * kd(weak_s, weak_t, T).mean()
            total += (kd(weak_s, weak_t, T)
                      if index >= 3 else kd(strong_s, strong_t, T)).mean()
            total += k.mean() * cc(weak_s, weak_t, T, all_classes)
            total += m.mean() * bc(weak_s, weak_t, T, all_samples)
        else:
            total += (m * kd(weak_s, weak_t, T)).mean() + kd(strong_s, strong_t, T).mean()
            total += cc(weak_s, weak_t, T, k) + cc(strong_s, strong_t, T, all_classes)
            total += bc(weak_s, weak_t, T, m) + bc(strong_s, strong_t, T, m)
    return weight * total


def make_views(batch_size, num_classes, seed, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    views = []
    for _ in range(2):
        logits_t = torch.randn(batch_size, num_classes, generator=generator) * 3
        logits_s = 0.6 * logits_t + torch.randn(
            batch_size, num_classes, generator=generator) * 2
        views += [logits_s.to(dtype), logits_t.to(dtype)]
    return dict(
        zip(('logits_s', 'logits_t', 'logits_s_strong', 'logits_t_strong'), views))


@pytest.mark.parametrize('match_reference', [True, False])
@pytest.mark.parametrize('batch_size,num_classes', [(6, 10), (5, 7)])
def test_mlkd_against_numpy(match_reference, batch_size, num_classes):
    call = make_views(batch_size, num_classes, seed=batch_size)
    loss = MODELS.build(
        dict(
            type='MLKDLoss',
            temperature=4.0,
            loss_weight=0.9,
            match_reference=match_reference))
    expected = numpy_mlkd(*(call[name].numpy() for name in call), 0.9, match_reference)
    np.testing.assert_allclose(loss(**call).item(), expected, rtol=1e-10)


def test_strong_view_gradient_comes_from_three_kd_terms_only():
    """Reference quirk: the strong group uses the weak logits at T=2 and T=6, and the
    strong CC / BC terms are dropped, so only KD at T in {4, 3, 5} sees the strong
    view."""
    call = make_views(8, 10, seed=0)
    strong_s = call['logits_s_strong'].requires_grad_()
    loss = MODELS.build(dict(type='MLKDLoss', temperature=4.0, loss_weight=0.9))(**call)
    grad, = torch.autograd.grad(loss, strong_s)
    kd_terms = sum(
        MODELS.build(dict(type='KDLoss', temperature=T, loss_weight=0.9))(
            strong_s, call['logits_t_strong']) for T in (4.0, 3.0, 5.0))
    expected, = torch.autograd.grad(kd_terms, strong_s)
    torch.testing.assert_close(grad, expected)


def test_mlkd_zero_when_student_equals_teacher():
    call = make_views(8, 10, seed=1)
    call['logits_s'], call['logits_s_strong'] = call['logits_t'], call['logits_t_strong']
    for match_reference in (True, False):
        loss = MODELS.build(dict(type='MLKDLoss', match_reference=match_reference))
        assert loss(**call).abs().item() < 1e-12


def test_mlkd_half_precision():
    call = make_views(16, 100, seed=2, dtype=torch.float32)
    for match_reference in (True, False):
        loss = MODELS.build(dict(type='MLKDLoss', match_reference=match_reference))
        reference = loss(**{name: value.half().float() for name, value in call.items()})
        half = loss(**{name: value.half() for name, value in call.items()})
        assert half.dtype == torch.float32 and torch.isfinite(half)
        torch.testing.assert_close(half, reference)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            autocast = loss(**call)
        torch.testing.assert_close(autocast, loss(**call))
