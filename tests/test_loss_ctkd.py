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
    return logits_s, logits_t


def _kd_at(logits_s, logits_t, temperature):
    """KD (batch-mean KL times T^2) at a tensor temperature, written out."""
    log_p_s = F.log_softmax(logits_s / temperature, dim=1)
    p_t = F.softmax(logits_t / temperature, dim=1)
    return (p_t * (p_t.log() - log_p_s)).sum(1).mean() * temperature**2


@pytest.mark.parametrize('epoch', [0, 30])
@pytest.mark.parametrize('case', reference_cases('CTKDLoss'))
def test_ctkd_matches_reference(case, epoch):
    """The recorded call has no epoch: the curriculum only scales theta's gradient, so
    the value and the student gradient are the same at every epoch."""
    check_reference_case(dict(case, call=dict(case['call'], epoch=epoch)))


def test_ctkd_curriculum():
    loss = MODELS.build(dict(type='CTKDLoss'))
    assert loss.gradient_scale(0) == pytest.approx((math.cos(math.pi / 10) + 1) / 2 - 1)
    assert loss.gradient_scale(0) == pytest.approx(-0.0245, abs=1e-4)
    assert loss.gradient_scale(4) == pytest.approx(-0.5)
    assert loss.gradient_scale(9) == pytest.approx(-1.0)
    assert loss.gradient_scale(100) == pytest.approx(-1.0)
    torch.testing.assert_close(
        loss.temperature(0).detach(), torch.tensor(1 + 20 / (1 + math.exp(-1))))
    assert [name for name, _ in loss.named_parameters()] == ['theta']


@pytest.mark.parametrize('epoch', [0, 4, 9])
def test_ctkd_temperature_gets_reversed_gradient(epoch):
    """d loss / d theta = lambda(epoch) * dL/dT * t_end * sigmoid'(theta), lambda < 0;
    the student gradient is the plain one."""
    logits_s, logits_t = _logits()
    logits_s.requires_grad_(True)
    loss = MODELS.build(
        dict(type='CTKDLoss', t_start=1.0, t_end=20.0, init_theta=0.3,
             loss_weight=0.9)).double()
    loss(logits_s=logits_s, logits_t=logits_t, epoch=epoch).backward()

    theta = torch.tensor(0.3, dtype=torch.float64)
    temperature = (1.0 + 20.0 * torch.sigmoid(theta)).requires_grad_(True)
    student = logits_s.detach().clone().requires_grad_(True)
    plain = 0.9 * _kd_at(student, logits_t, temperature)
    plain.backward()
    d_temperature_d_theta = 20.0 * torch.sigmoid(theta) * (1 - torch.sigmoid(theta))
    scale = loss.gradient_scale(epoch)
    assert scale < 0
    torch.testing.assert_close(loss.theta.grad,
                               scale * temperature.grad * d_temperature_d_theta)
    torch.testing.assert_close(logits_s.grad, student.grad)


def test_ctkd_theta_ascends_the_loss():
    """An SGD step on theta increases the KD term (the adversarial direction)."""
    logits_s, logits_t = _logits()
    loss = MODELS.build(dict(type='CTKDLoss')).double()
    optimizer = torch.optim.SGD(loss.parameters(), lr=0.5)
    before = loss(logits_s=logits_s, logits_t=logits_t, epoch=20)
    before.backward()
    optimizer.step()
    after = loss(logits_s=logits_s, logits_t=logits_t, epoch=20)
    assert after > before


def test_ctkd_per_sample():
    logits_s, logits_t = _logits()
    loss = MODELS.build(dict(type='CTKDLoss', loss_weight=0.9)).double()
    per_sample = MODELS.build(dict(type='CTKDLoss', loss_weight=0.9,
                                   reduction='none')).double()(
                                       logits_s=logits_s, logits_t=logits_t, epoch=0)
    assert per_sample.shape == (8, )
    torch.testing.assert_close(per_sample.mean(),
                               loss(logits_s=logits_s, logits_t=logits_t, epoch=0))


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_ctkd_half_precision(dtype):
    logits_s, logits_t = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = MODELS.build(dict(type='CTKDLoss'))
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype), epoch=0)
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(), logits_t=logits_t.to(dtype).float(), epoch=0)
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t, epoch=0)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
