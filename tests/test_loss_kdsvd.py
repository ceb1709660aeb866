"""KD-SVD against a float64 re-derivation written out step by step (the decomposition
itself from LAPACK through torch.linalg.svd, so that both sides share its signs)."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS


def _feats(seed=0, batch=2):
    """Three stages of equal width (8) and equal channels (4) for both models."""
    generator = torch.Generator().manual_seed(seed)
    shapes = [(4, 6, 8), (4, 5, 8), (4, 3, 8)]
    student = tuple(
        torch.randn(batch, *s, generator=generator, dtype=torch.double).requires_grad_()
        for s in shapes)
    teacher = tuple(
        torch.randn(batch, *s, generator=generator, dtype=torch.double) for s in shapes)
    return student, teacher


def _loss(**kwargs):
    return MODELS.build(dict(type='KDSVDLoss', **kwargs))


def reference_value(feats_s, feats_t, k=1, weight=1.0, width_axis=True):
    """mdistiller's kdsvd_loss, written out per sample with numpy."""

    def right_vectors(feat, count):
        b, c, h, w = feat.shape
        if width_axis:
            matrix = feat.reshape(b, c * h, w)
        else:
            matrix = feat.reshape(b, c, h * w).transpose(1, 2)
        _, values, vh = torch.linalg.svd(matrix, full_matrices=False)
        v = vh.transpose(1, 2).numpy()[:, :, :count]
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        s = values.numpy()[:, :count]
        return v, s / np.linalg.norm(s, axis=1, keepdims=True)

    total, previous = 0.0, None
    for f_s, f_t in zip(feats_s, feats_t):
        v_t, s_t = right_vectors(f_t.detach(), k)
        v_s, _ = right_vectors(f_s.detach(), k + 3)
        batch, n, _ = v_t.shape
        aligned = np.zeros_like(v_t)
        for b in range(batch):
            for j in range(k):
                cosines = [v_s[b, :, m] @ v_t[b, :, j] for m in range(k + 3)]
                best = int(np.argmax(np.abs(cosines)))
                aligned[b, :, j] = np.sign(cosines[best]) * v_s[b, :, best]
        current = (aligned * s_t[:, None, :], v_t * s_t[:, None, :])
        if previous is not None:
            (s_now, t_now), (s_before, t_before) = current, previous
            for b in range(batch):
                for j in range(k):
                    for x in range(s_now.shape[1]):
                        for y in range(s_before.shape[1]):
                            g_s = np.exp(-(s_now[b, x, j] - s_before[b, y, j])**2 / 8)
                            g_t = np.exp(-(t_now[b, x, j] - t_before[b, y, j])**2 / 8)
                            total += (g_s - g_t)**2
        previous = current
    return weight * total / feats_s[0].shape[0]


@pytest.mark.parametrize('match_reference', [True, False])
def test_value_matches_the_step_by_step_derivation(match_reference):
    feats_s, feats_t = _feats()
    loss = _loss(k=1, loss_weight=0.5, match_reference=match_reference)
    value = loss(feats_s=feats_s, feats_t=feats_t)
    expected = reference_value(
        feats_s, feats_t, k=1, weight=0.5, width_axis=match_reference)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-10)
    value.backward()
    assert all(torch.isfinite(f.grad).all() and f.grad.abs().sum() > 0 for f in feats_s)


def test_two_teacher_vectors():
    feats_s, feats_t = _feats(seed=1, batch=3)
    value = _loss(k=2)(feats_s=feats_s, feats_t=feats_t)
    np.testing.assert_allclose(
        value.item(), reference_value(feats_s, feats_t, k=2), rtol=1e-10)


def test_zero_for_the_teachers_own_maps_and_blind_to_singular_vector_signs():
    _, feats_t = _feats()
    loss = _loss()
    assert loss(feats_s=feats_t, feats_t=feats_t).abs().item() < 1e-20
    feats_s, feats_t = _feats(seed=2)
    flipped = (feats_s[0], -feats_s[1], feats_s[2])
    torch.testing.assert_close(
        loss(feats_s=flipped, feats_t=feats_t), loss(feats_s=feats_s, feats_t=feats_t))


def test_mismatched_axis_and_single_stage_are_explained():
    feats_s, feats_t = _feats()
    narrow = tuple(f[..., :4] for f in feats_s)
    with pytest.raises(
            ValueError, match='stage 0: the singular vectors live on the width'):
        _loss().check_shapes(narrow, feats_t)
    _loss(match_reference=False).check_shapes(narrow[:1] * 2, narrow[:1] * 2)
    fewer = tuple(f[:, :2] for f in feats_s)
    with pytest.raises(ValueError, match='live on the channels'):
        _loss(match_reference=False).check_shapes(fewer, feats_t)
    with pytest.raises(ValueError, match='at least 2'):
        _loss()(feats_s=feats_s[:1], feats_t=feats_t[:1])
