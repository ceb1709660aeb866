"""FT: the paraphraser's reconstruction and the factor loss (RepDistiller's spatial
factors and the paper's vectorised ones) against float64 formulas written out here,
the connectors' layers, which part trains in each phase, and the errors."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def build(**kwargs):
    kwargs.setdefault('student_channels', 6)
    kwargs.setdefault('teacher_channels', 8)
    return MODELS.build(dict(type='FTLoss', **kwargs)).double()


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes
    ]


def leaky(x):
    return torch.where(x > 0, x, 0.1 * x)


def test_paraphraser_and_translator_layers():
    loss = build(rate=0.5)
    encoder = [m for m in loss.paraphraser.encoder if isinstance(m, nn.Conv2d)]
    decoder = [m for m in loss.paraphraser.decoder if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in encoder] == [(8, 8), (8, 4), (4, 4)]
    assert [(m.in_channels, m.out_channels) for m in decoder] == [(4, 4), (4, 8), (8, 8)]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in loss.paraphraser.modules())
    translator = [m for m in loss.translator.encoder if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in translator] == [(6, 6), (6, 4),
                                                                     (4, 4)]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in loss.translator.modules()) == 3
    for conv in encoder + decoder + translator:
        assert conv.kernel_size == (3, 3) and conv.padding == (1, 1)
        assert conv.bias is not None
    assert all(m.negative_slope == 0.1 for m in loss.modules()
               if isinstance(m, nn.LeakyReLU))


def test_reconstruction_loss_of_the_paraphraser_phase():
    loss = build(phase='paraphraser')
    [feat_s], [feat_t] = maps((2, 6, 4, 4)), maps((2, 8, 4, 4), seed=1)
    x = feat_t
    convs = [
        m for m in loss.paraphraser.modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    ]
    for conv in convs:  # each 3x3 (transposed) conv, stride 1, padding 1, then LeakyReLU
        op = F.conv_transpose2d if isinstance(conv, nn.ConvTranspose2d) else F.conv2d
        x = leaky(op(x, conv.weight, conv.bias, padding=1))
    expected = ((x - feat_t)**2).mean()
    value = loss(feats_s=[feat_s], feats_t=[feat_t])
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize('match_reference', [True, False])
@pytest.mark.parametrize('size_s, size_t', [(4, 4), (2, 4), (4, 2)])
def test_factor_loss_matches_the_written_out_formula(match_reference, size_s, size_t):
    loss = build(match_reference=match_reference, loss_weight=200.0).train()
    [feat_s], [feat_t] = maps((3, 6, size_s, size_s)), maps((3, 8, size_t, size_t),
                                                            seed=2)
    factor_s = loss.translator(feat_s).detach().numpy()
    factor_t = loss.paraphraser.encoder(feat_t).detach().numpy()
    size = min(size_s, size_t)

    def pooled(factor):  # block means down to the smaller size
        b, c, h, _ = factor.shape
        return factor.reshape(b, c, size, h // size, size, h // size).mean(axis=(3, 5))

    factor_s, factor_t = pooled(factor_s), pooled(factor_t)
    if match_reference:
        vec_s = (factor_s**2).mean(axis=1).reshape(3, -1)
        vec_t = (factor_t**2).mean(axis=1).reshape(3, -1)
    else:
        vec_s, vec_t = factor_s.reshape(3, -1), factor_t.reshape(3, -1)
    vec_s = vec_s / np.linalg.norm(vec_s, axis=1, keepdims=True)
    vec_t = vec_t / np.linalg.norm(vec_t, axis=1, keepdims=True)
    distance = np.abs(vec_s - vec_t)
    expected = distance.mean() if match_reference else distance.sum(axis=1).mean()
    value = loss(feats_s=[feat_s], feats_t=[feat_t])
    assert value.item() == pytest.approx(200.0 * expected, rel=1e-10)


@pytest.mark.parametrize('phase, trained, frozen', [
    ('paraphraser', 'paraphraser', 'translator'),
    ('transfer', 'translator', 'paraphraser'),
])
def test_each_phase_trains_its_own_connector(phase, trained, frozen):
    loss = build(phase=phase)
    [feat_s], [feat_t] = maps((2, 6, 4, 4), grad=True), maps((2, 8, 4, 4), grad=True)
    loss(feats_s=[feat_s], feats_t=[feat_t]).backward()
    assert all(p.grad is not None for p in getattr(loss, trained).parameters())
    assert all(p.grad is None for p in getattr(loss, frozen).parameters())
    assert feat_t.grad is None
    assert (feat_s.grad is not None) == (phase == 'transfer')


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match=r"phase='pretrain'"):
        build(phase='pretrain')
    loss = build()
    with pytest.raises(ValueError, match='Set student_channels=5'):
        loss.check_shapes(maps((2, 5, 4, 4)), maps((2, 8, 4, 4)))
    with pytest.raises(ValueError, match='stage=-1'):
        loss(feats_s=[], feats_t=maps((2, 8, 4, 4)))
