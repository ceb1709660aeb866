import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def numpy_uskd(logits, feature, weight, bias, target, alpha, beta, mu, match_reference):
    """cls_KD's USKDLoss written out per sample with numpy."""
    batch, classes = logits.shape

    def log_softmax(z):
        return z - z.max() - np.log(np.exp(z - z.max()).sum())

    log_p = np.stack([log_softmax(z) for z in logits])
    if target.ndim == 2:
        labels = np.argsort(-target, axis=1, kind='stable')[:, :2]
        scores = np.take_along_axis(target, labels, 1)
        weak_target = 0.9 * target + 0.1 / classes
    else:
        labels, scores = target[:, None], np.ones((batch, 1))
        weak_target = 0.9 * np.eye(classes)[target] + 0.1 / classes
    p_y_sq = np.exp(np.take_along_axis(log_p, labels, 1))**2
    soft_y = np.where(scores == 0, 0., p_y_sq + scores - p_y_sq.mean(0))
    log_w = np.stack([log_softmax(z) for z in feature.mean((2, 3)) @ weight.T + bias])
    total = 0.
    for i in range(batch):
        loss_t = -np.sum(soft_y[i] * log_p[i, labels[i]])
        loss_weak = -mu * np.sum(weak_target[i] * log_w[i])
        w, final = np.exp(log_w[i]), log_p[i] if match_reference else np.exp(log_p[i])
        score = (
            w / (1 - w[labels[i]].sum() + 1e-6) + final /
            (1 - final[labels[i]].sum() + 1e-6))
        position = np.empty(classes)
        position[np.argsort(-score, kind='stable')] = np.arange(classes)
        others = [c for c in range(classes) if c not in labels[i]]
        zipf = 1 / (position[others] + 1)
        q = zipf / zipf.sum()
        loss_nt = -np.sum(q * log_softmax(logits[i, others]))
        total += alpha * loss_t + beta * loss_nt + loss_weak
    return total / batch


def build(**kwargs):
    loss = MODELS.build(dict(type='USKDLoss', in_channels=6, num_classes=10, **kwargs))
    return loss.double()


def make_inputs(batch_size=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch_size, 10, generator=generator, dtype=torch.float64) * 3
    feats = (torch.randn(batch_size, 3, 8, 8, generator=generator, dtype=torch.float64),
             torch.rand(batch_size, 6, 4, 4, generator=generator, dtype=torch.float64),
             torch.rand(batch_size, 12, 2, 2, generator=generator, dtype=torch.float64))
    target = torch.randint(
        0, 10, (batch_size, ), generator=generator)
    return logits, feats, target


@pytest.mark.parametrize('soft', [False, True])
@pytest.mark.parametrize('match_reference', [True, False])
def test_uskd_against_numpy(soft, match_reference):
    logits, feats, target = make_inputs()
    if soft:  # Mixup with lambda = 0.7 and a shifted partner: two distinct classes.
        target = 0.7 * F.one_hot(target, 10) + 0.3 * F.one_hot((target + 3) % 10, 10)
        target = target.double()
    loss = build(alpha=0.5, beta=0.3, mu=0.2, match_reference=match_reference)
    expected = numpy_uskd(logits.numpy(), feats[1].numpy(),
                          loss.fc.weight.detach().numpy(),
                          loss.fc.bias.detach().numpy(), target.numpy(), 0.5, 0.3, 0.2,
                          match_reference)
    value = loss(logits_s=logits, target=target, feats_s=feats)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-10)


def test_uskd_hand_computed():
    # One sample: v = s_y^2 + 1 - s_y^2 = 1, so the target term is the cross-entropy.
    logits, feats, target = make_inputs(batch_size=1)
    target_only = build(alpha=1.0, beta=0.0, mu=0.0)
    torch.testing.assert_close(
        target_only(logits_s=logits, target=target, feats_s=feats),
        F.cross_entropy(logits, target))
    # Three classes, label 0: the two non-target classes get Zipf values 1 and 1/2,
    # i.e. soft labels 2/3 and 1/3 (class 1 ranks first: larger logit, equal weak head).
    loss = MODELS.build(
        dict(type='USKDLoss', in_channels=2, num_classes=3, alpha=0.0, beta=1.0,
             mu=0.0)).double()
    torch.nn.init.zeros_(loss.fc.weight)
    torch.nn.init.zeros_(loss.fc.bias)
    logits = torch.tensor([[0.5, 2.0, 1.0]], dtype=torch.float64)
    feats = (torch.ones(1, 2, 2, 2, dtype=torch.float64), ) * 2
    log_q1, log_q2 = 2.0 - math.log(math.exp(2.0) + math.exp(1.0)), \
        1.0 - math.log(math.exp(2.0) + math.exp(1.0))
    expected = -(2 / 3 * log_q1 + 1 / 3 * log_q2)
    value = loss(logits_s=logits, target=torch.tensor([0]), feats_s=feats)
    assert value.item() == pytest.approx(expected)


def test_uskd_per_sample_and_gradients():
    logits, feats, target = make_inputs(seed=1)
    logits.requires_grad_()
    loss = build()
    value = loss(logits_s=logits, target=target, feats_s=feats)
    per_sample = build(reduction='none')
    per_sample.load_state_dict(loss.state_dict())
    values = per_sample(logits_s=logits, target=target, feats_s=feats)
    assert values.shape == (8, )
    torch.testing.assert_close(values.mean(), value)
    value.backward()
    # The weak head is trained by the loss; the student logits get gradients, the
    # Zipf labels and target weights are constants.
    assert logits.grad.abs().sum() > 0 and loss.fc.weight.grad.abs().sum() > 0
    assert [name for name, _ in loss.named_parameters()] == ['fc.weight', 'fc.bias']


def test_uskd_stage_index_picks_the_feature():
    logits, feats, target = make_inputs(seed=2)
    last = MODELS.build(
        dict(type='USKDLoss', in_channels=12, num_classes=10, stage_index=-1)).double()
    assert torch.isfinite(last(logits_s=logits, target=target, feats_s=feats))
    with pytest.raises(RuntimeError):
        build(stage_index=-1)(logits_s=logits, target=target, feats_s=feats)


def test_uskd_half_precision():
    logits, feats, target = make_inputs(batch_size=16, seed=3)
    loss = MODELS.build(dict(type='USKDLoss', in_channels=6, num_classes=10))
    half = loss(
        logits_s=logits.half(), target=target, feats_s=tuple(f.half() for f in feats))
    reference = loss(
        logits_s=logits.half().float(),
        target=target,
        feats_s=tuple(f.half().float() for f in feats))
    assert half.dtype == torch.float32 and torch.isfinite(half)
    torch.testing.assert_close(half, reference)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        autocast = loss(
            logits_s=logits.float(),
            target=target,
            feats_s=tuple(f.float() for f in feats))
    # Under autocast the weak head itself runs in bf16, hence the looser tolerance.
    assert autocast.dtype == torch.float32
    torch.testing.assert_close(
        autocast,
        loss(
            logits_s=logits.float(),
            target=target,
            feats_s=tuple(f.float() for f in feats)),
        rtol=2e-2,
        atol=2e-2)
