import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases

from kd_plugin.models.dis_losses.utils import teacher_entropy


def _logits(batch=8, classes=10, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    logits_t = torch.randn(batch, classes, generator=generator, dtype=dtype) * 2
    logits_s = 0.6 * logits_t + torch.randn(
        batch, classes, generator=generator, dtype=dtype) * 2
    return logits_s, logits_t


def er_kd(temperature=4.0, entropy_temperature=4.0, loss_weight=1.0, reduction='mean'):
    """ER-KD: KD inside the entropy-reweighting wrapper (its configs' form)."""
    return MODELS.build(
        dict(
            type='EntropyReweightedLoss',
            entropy_temperature=entropy_temperature,
            reduction=reduction,
            loss=dict(type='KDLoss', temperature=temperature, loss_weight=loss_weight)))


@pytest.mark.parametrize('case', reference_cases('ERKDLoss'))
def test_erkd_matches_reference(case):
    """The recorded cases (kwargs of the reference's er_kd_loss) through the wrapper."""
    kwargs = case['kwargs']
    check_reference_case(
        dict(
            case,
            type='EntropyReweightedLoss',
            kwargs=dict(
                entropy_temperature=kwargs['entropy_temperature'],
                loss=dict(
                    type='KDLoss',
                    temperature=kwargs['temperature'],
                    loss_weight=kwargs['loss_weight']))))


def test_teacher_entropy_by_hand():
    _, logits_t = _logits()
    q = F.softmax(logits_t / 3.0, dim=1)
    torch.testing.assert_close(teacher_entropy(logits_t, 3.0), -(q * q.log()).sum(1))
    uniform = torch.zeros(2, 100)
    torch.testing.assert_close(
        teacher_entropy(uniform, 4.0), torch.full((2, ), math.log(100)))
    # Classes below probability 1e-10 count as log(1e-10), as in the reference
    # (exactly: 40 * p_low instead of 23.03 * p_low; 1 - p_low rounds to 1).
    confident = torch.tensor([[0.0, -40.0]], dtype=torch.float64)
    p_low = math.exp(-40.0)
    expected = torch.tensor([-p_low * math.log(1e-10)], dtype=torch.float64)
    torch.testing.assert_close(
        teacher_entropy(confident, 1.0), expected, rtol=1e-9, atol=0)
    assert not teacher_entropy(logits_t.requires_grad_(True), 4.0).requires_grad


def test_erkd_is_entropy_weighted_kd():
    logits_s, logits_t = _logits()
    per_sample = er_kd(
        temperature=2.0, entropy_temperature=4.0, loss_weight=0.9, reduction='none')(
            logits_s=logits_s, logits_t=logits_t)
    kd = MODELS.build(
        dict(type='KDLoss', temperature=2.0, loss_weight=0.9, reduction='none'))(
            logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(per_sample, teacher_entropy(logits_t, 4.0) * kd)
    # A uniform teacher weighs every sample by log C.
    uniform = torch.zeros_like(logits_t)
    erkd = er_kd()(logits_s=logits_s, logits_t=uniform)
    kd = MODELS.build(dict(type='KDLoss'))(logits_s=logits_s, logits_t=uniform)
    torch.testing.assert_close(erkd, math.log(10) * kd)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_erkd_half_precision(dtype):
    logits_s, logits_t = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = er_kd()
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype))
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(), logits_t=logits_t.to(dtype).float())
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
