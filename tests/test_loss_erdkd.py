import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from kd_plugin.models.dis_losses.utils import teacher_entropy


def _logits(batch=8, classes=10, seed=0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    logits_t = torch.randn(batch, classes, generator=generator, dtype=dtype) * 2
    logits_s = 0.6 * logits_t + torch.randn(
        batch, classes, generator=generator, dtype=dtype) * 2
    target = torch.randint(
        classes, (batch, ), generator=generator)
    return logits_s, logits_t, target


def _dkd_per_sample(logits_s, logits_t, target):
    """alpha TCKD_i + beta NCKD_i with ER-KD's defaults (alpha 1, beta 3, T 4)."""
    return MODELS.build(
        dict(
            type='DKDLoss',
            alpha=1.0,
            beta=3.0,
            temperature=4.0,
            warmup_epochs=0,
            reduction='none'))(
                logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)


def test_erdkd_reference_broadcast_quirk():
    """The reference multiplies the (B,) DKD vector by entropy.unsqueeze(1) and averages
    the (B, B) result: mean(H) * mean(L), a batch-level scale."""
    logits_s, logits_t, target = _logits()
    dkd = _dkd_per_sample(logits_s, logits_t, target)
    entropy = teacher_entropy(logits_t, 4.0)
    broadcast = (dkd * entropy.unsqueeze(1)).mean()
    torch.testing.assert_close(broadcast, entropy.mean() * dkd.mean())
    loss = MODELS.build(dict(type='ERDKDLoss', loss_weight=2.0))
    value = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=9)
    torch.testing.assert_close(value, 2.0 * 0.5 * broadcast)
    per_sample = MODELS.build(dict(type='ERDKDLoss', reduction='none'))(
        logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    torch.testing.assert_close(per_sample, entropy.mean() * dkd)


def test_erdkd_per_sample_reweighting():
    logits_s, logits_t, target = _logits()
    dkd = _dkd_per_sample(logits_s, logits_t, target)
    entropy = teacher_entropy(logits_t, 4.0)
    loss = MODELS.build(dict(type='ERDKDLoss', match_reference=False))
    value = loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30)
    torch.testing.assert_close(value, (entropy * dkd).mean())
    assert not torch.allclose(value, entropy.mean() * dkd.mean())


def test_erdkd_soft_target_uses_argmax():
    logits_s, logits_t, target = _logits()
    loss = MODELS.build(dict(type='ERDKDLoss'))
    mixed = 0.6 * F.one_hot(target, 10).double() + 0.4 * F.one_hot(target.roll(1), 10)
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t, target=mixed, epoch=30),
        loss(logits_s=logits_s, logits_t=logits_t, target=target, epoch=30))


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_erdkd_half_precision(dtype):
    logits_s, logits_t, target = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = MODELS.build(dict(type='ERDKDLoss', temperature=1.0))
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
