"""FSP: the matrices and both reductions against loops written out in float64 (the
larger map of a pair pooled by block means), gradients, and the channel check."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

SHAPES = [(3, 4, 8, 8), (3, 5, 8, 8), (3, 6, 4, 4)]


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes
    ]


def block_mean(feat: np.ndarray, size: int) -> np.ndarray:
    b, c, h, w = feat.shape
    return feat.reshape(b, c, size, h // size, size, w // size).mean(axis=(3, 5))


def reference_matrix(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    size = min(lower.shape[2], upper.shape[2])
    lower, upper = block_mean(lower, size), block_mean(upper, size)
    b, c1, h, w = lower.shape
    matrix = np.zeros((b, c1, upper.shape[1]))
    for n in range(b):
        for j in range(c1):
            for k in range(upper.shape[1]):
                matrix[n, j, k] = (lower[n, j] * upper[n, k]).sum() / (h * w)
    return matrix


@pytest.mark.parametrize('match_reference', [True, False])
def test_fsp_loss_matches_the_written_out_matrices(match_reference):
    loss = MODELS.build(
        dict(type='FSPLoss', match_reference=match_reference, loss_weight=2.0))
    feats_s, feats_t = maps(*SHAPES, seed=1), maps(*SHAPES, seed=2)
    expected = 0.0
    for i in range(len(SHAPES) - 1):
        g_s = reference_matrix(feats_s[i].numpy(), feats_s[i + 1].numpy())
        g_t = reference_matrix(feats_t[i].numpy(), feats_t[i + 1].numpy())
        squared = (g_s - g_t)**2
        # RepDistiller: the mean over the entries and the batch; the paper: the squared
        # Frobenius norm per sample, averaged over the batch.
        expected += squared.mean() if match_reference else squared.sum() / 3
    value = loss(feats_s=feats_s, feats_t=feats_t)
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(2.0 * expected, rel=1e-12)


def test_only_the_student_receives_gradients():
    loss = MODELS.build(dict(type='FSPLoss'))
    feats_s, feats_t = maps(*SHAPES, grad=True), maps(*SHAPES, seed=3, grad=True)
    loss(feats_s=feats_s, feats_t=feats_t).backward()
    assert all(f.grad.abs().sum() > 0 for f in feats_s)
    assert all(f.grad is None for f in feats_t)


def test_levels_of_different_widths_are_refused():
    loss = MODELS.build(dict(type='FSPLoss'))
    with pytest.raises(ValueError, match=r'student \[4, 5\] and teacher \[4, 7\]'):
        loss.check_shapes(
            maps((2, 4, 4, 4), (2, 5, 4, 4)), maps((2, 4, 4, 4), (2, 7, 4, 4)))
    with pytest.raises(ValueError, match='at least 2'):
        loss(feats_s=maps((2, 4, 4, 4)), feats_t=maps((2, 4, 4, 4)))
