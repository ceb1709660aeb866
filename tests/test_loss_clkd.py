import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS


def numpy_clkd(logits_s, logits_t, mu=0.5, kappa=1.0, nu=0.4, weight=1.0):
    """StreamLined's CLKD_loss and weights written out with numpy."""
    rows = lambda z: z / np.linalg.norm(z, axis=1, keepdims=True)  # noqa: E731
    instance = np.mean((rows(logits_s) - rows(logits_t))**2)
    klass = np.mean((rows(logits_s.T) - rows(logits_t.T))**2)
    num_classes = logits_s.shape[1]

    def covariance(z):
        centred = z - z.mean(0)
        return centred.T @ centred / (num_classes - 1)

    correlation = np.linalg.norm(covariance(logits_s) -
                                 covariance(logits_t)) / num_classes**2
    return weight * (mu * instance + kappa * klass + nu * correlation)


def test_clkd_hand_computed():
    loss = MODELS.build(dict(type='CLKDLoss'))
    # Swapped one-hot logits: every normalised entry differs by 1 (instance and class
    # terms = 1), the class covariances are equal (correlation term = 0).
    s = torch.tensor([[1., 0.], [0., 1.]])
    assert loss(s, s.flip(1)).item() == pytest.approx(0.5 * 1 + 1.0 * 1 + 0.4 * 0)
    # Doubled logits: same directions (0, 0); covariances [[.5,-.5],[-.5,.5]] and
    # [[2,-2],[-2,2]] differ by a matrix of +-1.5, Frobenius norm 3, / C^2 = 0.75.
    assert loss(s, 2 * s).item() == pytest.approx(0.4 * 0.75)


@pytest.mark.parametrize('batch_size,num_classes', [(8, 10), (5, 100)])
def test_clkd_against_numpy(batch_size, num_classes):
    generator = torch.Generator().manual_seed(num_classes)
    logits_t = torch.randn(
        batch_size, num_classes, generator=generator, dtype=torch.float64)
    logits_s = torch.randn(
        batch_size, num_classes, generator=generator, dtype=torch.float64)
    loss = MODELS.build(
        dict(
            type='CLKDLoss',
            instance_weight=0.3,
            class_weight=0.7,
            correlation_weight=0.2,
            loss_weight=2.0))
    expected = numpy_clkd(logits_s.numpy(), logits_t.numpy(), 0.3, 0.7, 0.2, 2.0)
    np.testing.assert_allclose(loss(logits_s, logits_t).item(), expected, rtol=1e-10)


def test_clkd_invariances():
    """Batch-level terms, but no sample or class is special: permuting the samples (or
    the classes) of both models leaves the loss unchanged. The instance term compares
    directions only: it ignores a positive rescaling of each sample's logits."""
    generator = torch.Generator().manual_seed(0)
    logits_t = torch.randn(6, 10, generator=generator, dtype=torch.float64) * 3
    logits_s = torch.randn(6, 10, generator=generator, dtype=torch.float64) * 3
    loss = MODELS.build(dict(type='CLKDLoss'))
    value = loss(logits_s, logits_t)
    samples, classes = torch.randperm(6), torch.randperm(10)
    torch.testing.assert_close(loss(logits_s[samples], logits_t[samples]), value)
    torch.testing.assert_close(loss(logits_s[:, classes], logits_t[:, classes]), value)
    instance_only = MODELS.build(
        dict(type='CLKDLoss', class_weight=0., correlation_weight=0.))
    scale = torch.rand(6, 1, dtype=torch.float64) + 0.5
    torch.testing.assert_close(
        instance_only(logits_s * scale, logits_t), instance_only(logits_s, logits_t))


def test_clkd_zero_for_identical_logits_with_finite_gradient():
    logits = torch.randn(8, 10) * 3
    student = logits.clone().requires_grad_()
    value = MODELS.build(dict(type='CLKDLoss'))(student, logits)
    assert value.item() == 0
    value.backward()
    assert torch.isfinite(student.grad).all()


def test_clkd_half_precision():
    torch.manual_seed(0)
    # Logits of magnitude ~60 over a batch of 64: the C x C products reach ~1e5,
    # beyond fp16's range, so they must not run in half precision.
    logits_t = torch.randn(64, 100) * 60
    logits_s = 0.6 * logits_t + torch.randn(64, 100) * 20
    loss = MODELS.build(dict(type='CLKDLoss'))
    half = loss(logits_s.half(), logits_t.half())
    assert half.dtype == torch.float32 and torch.isfinite(half)
    torch.testing.assert_close(half, loss(logits_s.half().float(),
                                          logits_t.half().float()))
    with torch.autocast('cpu', dtype=torch.float16):
        autocast = loss(logits_s, logits_t)
    assert torch.isfinite(autocast)
    torch.testing.assert_close(autocast, loss(logits_s, logits_t))
