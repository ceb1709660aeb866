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


def _nkd(**kwargs):
    return MODELS.build(dict(type='NKDLoss', **kwargs))


@pytest.mark.parametrize('case', reference_cases('NKDLoss'))
def test_nkd_matches_cls_kd(case):
    check_reference_case(case)


def test_nkd_parts_by_hand():
    """Target part: -p^t_y log p^s_y at T=1. Non-target part minus the teacher's
    non-target entropy is gamma * DKD's NCKD (both on the label-free distributions)."""
    logits_s, logits_t, target = _logits()
    temperature, gamma = 3.0, 2.0
    p_s = F.softmax(logits_s, dim=1).gather(1, target[:, None]).squeeze(1)
    p_t = F.softmax(logits_t, dim=1).gather(1, target[:, None]).squeeze(1)
    target_only = _nkd(
        temperature=temperature, gamma=0.0, reduction='none')(
            logits_s=logits_s, logits_t=logits_t, target=target)
    torch.testing.assert_close(target_only, -p_t * p_s.log())

    full = _nkd(
        temperature=temperature, gamma=gamma, reduction='none')(
            logits_s=logits_s, logits_t=logits_t, target=target)
    keep = ~F.one_hot(target, 10).bool()
    q_t = F.softmax((logits_t / temperature)[keep].view(8, 9), dim=1)
    entropy_t = -(q_t * q_t.log()).sum(1)
    nckd = MODELS.build(
        dict(
            type='DKDLoss',
            alpha=0.0,
            beta=1.0,
            temperature=temperature,
            warmup_epochs=0,
            reduction='none'))(
                logits_s=logits_s, logits_t=logits_t, target=target, epoch=0)
    torch.testing.assert_close(full - target_only - gamma * temperature**2 * entropy_t,
                               gamma * nckd)


def test_nkd_non_target_part_ignores_label_logit():
    """The fixed mask removes the label class: its student logit only enters the
    target part."""
    logits_s, logits_t, target = _logits()
    loss = _nkd(temperature=2.0, reduction='none')
    shifted = logits_s.clone()
    shifted[torch.arange(8), target] += 5.0
    delta = loss(
        logits_s=shifted, logits_t=logits_t, target=target) - loss(
            logits_s=logits_s, logits_t=logits_t, target=target)
    p_t = F.softmax(logits_t, dim=1).gather(1, target[:, None]).squeeze(1)
    log_p = F.log_softmax(logits_s, 1).gather(1, target[:, None]).squeeze(1)
    log_p_shifted = F.log_softmax(shifted, 1).gather(1, target[:, None]).squeeze(1)
    torch.testing.assert_close(delta, -p_t * (log_p_shifted - log_p))


def test_nkd_soft_target_and_reduction():
    logits_s, logits_t, target = _logits()
    loss = _nkd(loss_weight=0.5)
    hard = loss(logits_s=logits_s, logits_t=logits_t, target=target)
    mixed = 0.6 * F.one_hot(target, 10).double() + 0.4 * F.one_hot(target.roll(1), 10)
    torch.testing.assert_close(
        loss(logits_s=logits_s, logits_t=logits_t, target=mixed), hard)
    per_sample = _nkd(
        loss_weight=0.5, reduction='none')(
            logits_s=logits_s, logits_t=logits_t, target=target)
    assert per_sample.shape == (8, )
    torch.testing.assert_close(per_sample.mean(), hard)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_nkd_half_precision(dtype):
    logits_s, logits_t, target = _logits(16, 100, seed=1, dtype=torch.float32)
    loss = _nkd()
    low = loss(logits_s=logits_s.to(dtype), logits_t=logits_t.to(dtype), target=target)
    assert low.dtype == torch.float32 and torch.isfinite(low)
    rounded = loss(
        logits_s=logits_s.to(dtype).float(),
        logits_t=logits_t.to(dtype).float(),
        target=target)
    torch.testing.assert_close(low, rounded)
    exact = loss(logits_s=logits_s, logits_t=logits_t, target=target)
    torch.testing.assert_close(low, exact, rtol=2e-2, atol=1e-3)
