"""CC (correlation congruence) against float64 values written out by hand."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS


def _loss(**kwargs):
    kwargs = dict(dict(student_channels=5, teacher_channels=6, feat_dim=4), **kwargs)
    torch.manual_seed(0)
    return MODELS.build(dict(type='CCLoss', **kwargs)).double()


def _pooled(batch=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    pooled_s = torch.randn(batch, 5, generator=generator, dtype=torch.double)
    pooled_t = torch.randn(batch, 6, generator=generator, dtype=torch.double)
    return pooled_s.requires_grad_(True), pooled_t


def _embeddings(loss, pooled_s, pooled_t):
    """The two linear embeddings, with the loss's own (random) weights."""
    weights = {k: v.detach().numpy() for k, v in loss.state_dict().items()}
    e_s = pooled_s.detach().numpy() @ weights['embed_s.weight'].T
    e_t = pooled_t.numpy() @ weights['embed_t.weight'].T
    e_s, e_t = e_s + weights['embed_s.bias'], e_t + weights['embed_t.bias']
    return e_s, e_t


def test_reference_is_repdistillers_neighbour_correlation():
    """RepDistiller's Correlation: mean over i of sum_d |e_i - e'_i|_d |e_{i+1} -
    e'_{i+1}|_d, times the weight."""
    loss = _loss(loss_weight=0.02)
    pooled_s, pooled_t = _pooled()
    e_s, e_t = _embeddings(loss, pooled_s, pooled_t)
    batch = len(e_s)
    expected = 0.0
    for i in range(batch - 1):
        for d in range(e_s.shape[1]):
            expected += abs(e_s[i, d] - e_t[i, d]) * abs(e_s[i + 1, d] - e_t[i + 1, d])
    expected *= 0.02 / (batch - 1)
    value = loss(pooled_s=pooled_s, pooled_t=pooled_t)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-12)


def test_paper_mode_is_the_taylor_kernel_congruence():
    loss = _loss(loss_weight=1.0, match_reference=False, gamma=0.4, order=2)
    pooled_s, pooled_t = _pooled()
    e_s, e_t = _embeddings(loss, pooled_s, pooled_t)

    def kernel(embed):
        unit = embed / np.linalg.norm(embed, axis=1, keepdims=True)
        cosine = unit @ unit.T
        return sum(
            math.exp(-0.8) * 0.8**p / math.factorial(p) * cosine**p for p in range(3))

    batch = len(e_s)
    expected = ((kernel(e_s) - kernel(e_t))**2).sum() / batch**2
    value = loss(pooled_s=pooled_s, pooled_t=pooled_t)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-12)


def test_high_order_kernel_is_the_gaussian_rbf_of_unit_vectors():
    """The paper's expansion: sum_p e^{-2g} (2g)^p / p! (x.y)^p -> exp(-g ||x - y||^2)
    for unit x, y."""
    loss = _loss(match_reference=False, gamma=0.4, order=25)
    embed = torch.randn(5, 4, dtype=torch.double)
    unit = embed / embed.norm(dim=1, keepdim=True)
    rbf = torch.exp(-0.4 * torch.cdist(unit, unit)**2)
    torch.testing.assert_close(loss._correlation(embed), rbf, rtol=1e-12, atol=1e-12)


def test_both_embeddings_train_the_teacher_vectors_stay_constant():
    loss = _loss()
    pooled_s, pooled_t = _pooled()
    pooled_t.requires_grad_(True)
    loss(pooled_s=pooled_s, pooled_t=pooled_t).backward()
    assert pooled_s.grad is not None and pooled_t.grad is None
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loss.parameters())


def test_wrong_widths_name_the_kwargs():
    loss = _loss()
    with pytest.raises(ValueError, match='student_channels=7 and teacher_channels=6'):
        loss(pooled_s=torch.zeros(4, 7).double(), pooled_t=torch.zeros(4, 6).double())
    with pytest.raises(ValueError, match='at least 2 samples'):
        loss(pooled_s=torch.zeros(1, 5).double(), pooled_t=torch.zeros(1, 6).double())
