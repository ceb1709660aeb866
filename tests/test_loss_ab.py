"""AB: the margin loss against RepDistiller's piecewise formula written out in float64,
the stage weights and scale, its connectors, what receives gradients, and the shape
errors."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='ABLoss', **kwargs)).double()


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes
    ]


def reference_stage(source: np.ndarray, target: np.ndarray, margin: float) -> float:
    """``ABLoss.criterion_alternative_l2`` of RepDistiller, in numpy."""
    below = (source + margin)**2 * ((source > -margin) & (target <= 0))
    above = (source - margin)**2 * ((source <= margin) & (target > 0))
    return float(np.abs(below + above).sum())


def test_margin_loss_weights_and_scale_match_the_reference_formula():
    loss = build(student_channels=[3, 5, 4], teacher_channels=[3, 5, 4], margin=0.7)
    shapes = [(4, 3, 8, 8), (4, 5, 4, 4), (4, 4, 2, 2)]
    feats_s, feats_t = maps(*shapes, seed=1), maps(*shapes, seed=2)
    expected = 0.0
    for i, (s, t) in enumerate(zip(feats_s, feats_t)):
        stage = reference_stage(s.numpy(), t.numpy(), 0.7)
        expected += 2.0**(i - 3 + 1) * stage / 4 / 1000 * 3
    value = loss(preact_feats_s=feats_s, preact_feats_t=feats_t)
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_connectors_follow_repdistiller():
    loss = build(
        student_channels=[8, 6, 6, 12],
        teacher_channels=[8, 4, 6, 16],
        student_sizes=[8, 8, 4, 2],
        teacher_sizes=[8, 8, 8, 4])
    identity, channels, upsample, both = loss.connectors
    assert isinstance(identity, nn.Identity)
    for connector, conv_type, kernel in ((channels, nn.Conv2d,
                                          (1, 1)), (upsample, nn.ConvTranspose2d, (4, 4)),
                                         (both, nn.ConvTranspose2d, (4, 4))):
        assert type(connector.conv) is conv_type and connector.conv.kernel_size == kernel
        assert connector.conv.bias is not None and connector.relu is None
    feats_s = maps((2, 8, 8, 8), (2, 6, 8, 8), (2, 6, 4, 4), (2, 12, 2, 2))
    feats_t = maps((2, 8, 8, 8), (2, 4, 8, 8), (2, 6, 8, 8), (2, 16, 4, 4), seed=3)
    assert loss(preact_feats_s=feats_s, preact_feats_t=feats_t).item() > 0


def test_a_connector_is_conv_and_batch_norm_without_relu():
    loss = build(student_channels=[3], teacher_channels=[5], loss_weight=1.0).train()
    [feat_s], [feat_t] = maps((4, 3, 4, 4)), maps((4, 5, 4, 4), seed=4)
    conv, bn = loss.connectors[0].conv, loss.connectors[0].bn
    out = F.conv2d(feat_s, conv.weight, conv.bias)
    mean = out.mean(dim=(0, 2, 3), keepdim=True)
    var = out.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    out = (out - mean) / torch.sqrt(var + bn.eps)
    out = out * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)
    expected = reference_stage(out.detach().numpy(), feat_t.numpy(), 1.0) / 4
    value = loss(preact_feats_s=[feat_s], preact_feats_t=[feat_t])
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_gradients_reach_the_student_and_connectors_not_the_teacher():
    loss = build(student_channels=[3], teacher_channels=[5])
    [feat_s], [feat_t] = maps((2, 3, 4, 4), grad=True), maps((2, 5, 4, 4), grad=True)
    loss(preact_feats_s=[feat_s], preact_feats_t=[feat_t]).backward()
    assert feat_s.grad.abs().sum() > 0 and feat_t.grad is None
    assert loss.connectors[0].conv.weight.grad.abs().sum() > 0


def test_mismatched_maps_are_named():
    loss = build(student_channels=[3, 4], teacher_channels=[3, 4])
    with pytest.raises(ValueError, match=r'student_channels\[1\]=6'):
        loss.check_shapes(
            maps((2, 3, 4, 4), (2, 6, 2, 2)), maps((2, 3, 4, 4), (2, 4, 2, 2)))
    sized = build(student_channels=[3], teacher_channels=[5])
    with pytest.raises(ValueError, match=r'set student_sizes\[0\]=\(2, 2\)'):
        sized.check_shapes(maps((2, 3, 2, 2)), maps((2, 5, 4, 4)))
    with pytest.raises(ValueError, match='together'):
        build(student_channels=[3], teacher_channels=[5], student_sizes=[2])
