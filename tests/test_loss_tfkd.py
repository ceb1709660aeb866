"""Tf-KD (self-teacher and virtual teacher) against float64 values written out by hand,
and against the reference's own expressions rebuilt from torch primitives."""
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def _logits(batch=6, classes=10, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits_s = torch.randn(batch, classes, generator=generator, dtype=torch.double) * 3
    logits_t = torch.randn(batch, classes, generator=generator, dtype=torch.double) * 3
    target = torch.randint(
        classes, (batch, ), generator=generator)
    return logits_s.requires_grad_(True), logits_t, target


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _kl_rows(p, q):
    """(B,) sum_c p log(p / q), by hand."""
    return (p * (np.log(p) - np.log(q))).sum(axis=1)


def kl_div_mean(log_q, p):
    """The reference's ``nn.KLDivLoss()`` (reduction 'mean', over all entries)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # torch: 'mean' is not 'batchmean'
        return nn.KLDivLoss()(log_q, p)


@pytest.mark.parametrize('match_reference', [True, False])
def test_self_teacher_term(match_reference):
    logits_s, logits_t, _ = _logits()
    temperature, weight = 6.0, 0.95 * 50
    loss = MODELS.build(
        dict(
            type='TfKDSelfLoss',
            temperature=temperature,
            loss_weight=weight,
            match_reference=match_reference))
    value = loss(logits_s=logits_s, logits_t=logits_t)
    kl = _kl_rows(
        _softmax(logits_t.numpy() / temperature),
        _softmax(logits_s.detach().numpy() / temperature))
    classes = 1 if not match_reference else logits_s.shape[1]
    expected = weight * temperature**2 * kl.mean() / classes
    np.testing.assert_allclose(value.item(), expected, rtol=1e-12)
    if match_reference:
        # loss_kd_self's own expression (alpha * multiplier = weight).
        original = kl_div_mean(
            F.log_softmax(logits_s / temperature, dim=1),
            F.softmax(logits_t / temperature, dim=1)) * temperature**2 * weight
        torch.testing.assert_close(value, original, rtol=1e-12, atol=0)


@pytest.mark.parametrize('match_reference', [True, False])
def test_virtual_teacher_term(match_reference):
    logits_s, _, target = _logits()
    temperature, weight, a = 20.0, 0.1 * 100, 0.99
    loss = MODELS.build(
        dict(
            type='TfKDVirtualLoss',
            correct_prob=a,
            temperature=temperature,
            loss_weight=weight,
            match_reference=match_reference))
    value = loss(logits_s=logits_s, target=target)

    batch, classes = logits_s.shape
    designed = np.full((batch, classes), (1 - a) / (classes - 1))
    designed[np.arange(batch), target.numpy()] = a
    teacher = _softmax(designed / temperature)
    student_temperature = 1.0 if match_reference else temperature
    kl = _kl_rows(teacher, _softmax(logits_s.detach().numpy() / student_temperature))
    expected = weight * kl.mean() / (classes if match_reference else 1)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-12)
    if match_reference:
        # loss_kd_regularization's own expression (reg_alpha * multiplier = weight).
        teacher_soft = torch.full_like(logits_s, (1 - a) / (classes - 1))
        teacher_soft[torch.arange(batch), target] = a
        original = kl_div_mean(
            F.log_softmax(logits_s, dim=1), F.softmax(teacher_soft / temperature,
                                                      dim=1)) * weight
        torch.testing.assert_close(value, original, rtol=1e-12, atol=0)


def test_virtual_teacher_takes_soft_targets_by_argmax_and_is_nearly_uniform():
    logits_s, _, target = _logits()
    loss = MODELS.build(dict(type='TfKDVirtualLoss', temperature=20.0))
    one_hot = F.one_hot(target, 10).double()
    mixed = 0.6 * one_hot + 0.4 * one_hot.roll(1, dims=0)
    torch.testing.assert_close(
        loss(logits_s=logits_s, target=mixed), loss(logits_s=logits_s, target=target))
    teacher = loss.virtual_teacher(target, logits_s.detach()).exp()
    assert teacher.argmax(1).tolist() == target.tolist()
    assert teacher.max() < 0.106 and teacher.min() > 0.099  # T 20 flattens 0.99 / 0.0011
    per_sample = MODELS.build(dict(type='TfKDVirtualLoss', reduction='none'))(
        logits_s=logits_s, target=target)
    assert per_sample.shape == (6, )
    with pytest.raises(ValueError, match='correct_prob'):
        MODELS.build(dict(type='TfKDVirtualLoss', correct_prob=1.0))


def test_self_teacher_of_identical_logits_is_zero_and_student_only_gets_gradients():
    logits_s, logits_t, _ = _logits()
    loss = MODELS.build(dict(type='TfKDSelfLoss'))
    assert loss(logits_s=logits_t, logits_t=logits_t).abs().item() < 1e-15
    teacher = logits_t.clone().requires_grad_(True)
    loss(logits_s=logits_s, logits_t=teacher.detach()).backward()
    assert logits_s.grad is not None and teacher.grad is None


def test_schedule_warms_up_per_iteration_as_tfkd():
    """Tf-KD's WarmUpLR gives lr x (i + 1) / 391 at batch i of the first epoch, then
    MultiStepLR x0.2 from the 0-based epochs 60, 120, 160."""
    from mmengine.config import Config
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS

    cfg = Config.fromfile(
        Path(__file__).resolve().parents[1] / 'configs' / 'tfkd' /
        'tfkd-self_resnet18_resnet18_1xb128_cifar100.py')
    param = nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr))
    warmup, steps = (
        PARAM_SCHEDULERS.build(dict(scheduler, optimizer=wrapper))
        for scheduler in cfg.param_scheduler)
    lrs = []
    for epoch in range(161):
        for _ in range(391 if epoch == 0 else 1):
            lrs.append((epoch, wrapper.get_lr()['lr'][0]))
            wrapper.step()
            if epoch == 0:
                warmup.step()
        steps.step()
    first_epoch = [lr for epoch, lr in lrs if epoch == 0]
    np.testing.assert_allclose(
        first_epoch, [0.1 * (i + 1) / 391 for i in range(391)], rtol=1e-12)
    by_epoch = dict(lrs[391:])
    for epoch, expected in ((1, 0.1), (59, 0.1), (60, 0.02), (120, 0.004), (160, 0.0008)):
        np.testing.assert_allclose(by_epoch[epoch], expected, rtol=1e-12)
