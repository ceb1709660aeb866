"""OFD: margins from a known teacher BN, the zero region of the partial L2, the stage
weights, the connector, and errors for mismatched stages, channels and BNs."""
import math

import pytest
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from kd_plugin.models.dis_losses.ofd import margin_from_bn, partial_l2


def build(**kwargs):
    return MODELS.build(dict(type='OFDLoss', **kwargs)).double()


def bn(weight, bias):
    module = nn.BatchNorm2d(len(weight))
    with torch.no_grad():
        module.weight.copy_(torch.tensor(weight))
        module.bias.copy_(torch.tensor(bias))
    return module


def identity_connectors(loss):
    """Connectors that pass the student map through unchanged (eval-mode BN, eps 0)."""
    loss.eval()
    for connector in loss.connectors:
        with torch.no_grad():
            connector.conv.weight.copy_(
                torch.eye(connector.conv.in_channels)[:, :, None, None])
        connector.bn.eps = 0.0


def normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_margin_is_the_expected_negative_response_of_the_bn_gaussian():
    margins = margin_from_bn(bn([1.0, -2.0, 0.5, 0.3], [0.0, 1.0, 4.0, -0.6]))
    expected = []
    for s, m in ((1.0, 0.0), (2.0, 1.0), (0.5, 4.0), (0.3, -0.6)):  # s = |gamma|
        tail = normal_cdf(-m / s)
        density = math.exp(-0.5 * (m / s)**2) / math.sqrt(2 * math.pi)
        expected.append(m - s * density / tail if tail > 0.001 else -3 * s)
    assert expected[0] == pytest.approx(-math.sqrt(2 / math.pi))  # half-normal mean
    assert expected[2] == -1.5  # Phi(-8) < 0.001: -3 s
    torch.testing.assert_close(margins, torch.tensor(expected, dtype=torch.float64))
    assert (margins < 0).all()


def test_partial_l2_ignores_student_below_a_non_positive_teacher():
    margin = torch.tensor(-1.0, dtype=torch.float64)
    # (student, teacher, distance): the teacher is raised to the margin first.
    cases = [
        (-2.0, -0.5, 0.0),  # S <= T <= 0
        (-1.0, -1.0, 0.0),  # S == T <= 0
        (-3.0, -2.0, 0.0),  # S <= m, T below the margin
        (-0.2, -0.5, 0.09),  # S > T (T <= 0): (S - T)^2
        (0.5, -2.0, 2.25),  # S > m > T: (S - m)^2
        (-1.0, 1.0, 4.0),  # T > 0: always (S - T)^2
        (2.0, 1.0, 1.0),
    ]
    student = torch.tensor([c[0] for c in cases], dtype=torch.float64, requires_grad=True)
    teacher = torch.tensor([c[1] for c in cases], dtype=torch.float64)
    distance = partial_l2(student, teacher, margin)
    torch.testing.assert_close(distance,
                               torch.tensor([c[2] for c in cases], dtype=torch.float64))
    distance.sum().backward()
    assert (student.grad[:3] == 0).all() and (student.grad[3:] != 0).all()


def test_student_equal_to_or_below_a_negative_teacher_costs_nothing():
    loss = build(student_channels=[3], teacher_channels=[3])
    identity_connectors(loss)
    teacher_bn = bn([1.0, 0.5, 2.0], [0.0, -1.0, 0.5])
    feat_t = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    assert loss(
        preact_feats_s=(feat_t, ), preact_feats_t=(feat_t, ),
        preact_bn_t=(teacher_bn, )).item() == 0
    below = -feat_t.abs() - 1
    assert loss(
        preact_feats_s=(below, ),
        preact_feats_t=(-feat_t.abs(), ),
        preact_bn_t=(teacher_bn, )).item() == 0


def test_sum_over_the_map_per_sample_and_stage_weights():
    loss = build(student_channels=[2, 3, 4], teacher_channels=[2, 3, 4], loss_weight=1e-3)
    identity_connectors(loss)
    shapes = ((5, 2, 8, 8), (5, 3, 4, 4), (5, 4, 2, 2))
    teacher = tuple(torch.rand(*shape, dtype=torch.float64) + 0.1 for shape in shapes)
    student = tuple(t + 1 for t in teacher)  # teacher > 0: distance 1 everywhere
    bns = tuple(bn([1.0] * s[1], [0.0] * s[1]) for s in shapes)
    value = loss(preact_feats_s=student, preact_feats_t=teacher, preact_bn_t=bns)
    # Sum over C, H, W (mean over the batch), stage i of n weighted 1 / 2^(n-1-i).
    expected = 1e-3 * (2 * 64 / 4 + 3 * 16 / 2 + 4 * 4 / 1)
    assert value.item() == pytest.approx(expected)


def test_margin_raises_teacher_below_it_and_larger_teacher_map_is_pooled():
    loss = build(student_channels=[1], teacher_channels=[1], loss_weight=1.0)
    identity_connectors(loss)
    teacher_bn = bn([1.0], [0.0])  # margin -sqrt(2 / pi) = -0.798
    feat_t = torch.full((1, 1, 4, 4), -3.0, dtype=torch.float64)
    feat_s = torch.full((1, 1, 2, 2), 0.2, dtype=torch.float64)
    value = loss(
        preact_feats_s=(feat_s, ), preact_feats_t=(feat_t, ), preact_bn_t=(teacher_bn, ))
    assert value.item() == pytest.approx(4 * (0.2 + math.sqrt(2 / math.pi))**2)


def test_connector_is_he_initialised_conv_bn_and_trains_alone():
    loss = build(student_channels=[256], teacher_channels=[128])
    connector = loss.connectors[0]
    assert connector.conv.bias is None and connector.relu is None
    std = connector.conv.weight.std().item()
    assert std == pytest.approx(math.sqrt(2 / 128), rel=0.02)
    assert (connector.bn.weight == 1).all() and (connector.bn.bias == 0).all()

    feat_s = torch.randn(2, 256, 2, 2, dtype=torch.float64, requires_grad=True)
    feat_t = torch.randn(2, 128, 2, 2, dtype=torch.float64, requires_grad=True)
    teacher_bn = bn([1.0] * 128, [0.0] * 128).double().requires_grad_(False)
    loss(
        preact_feats_s=(feat_s, ), preact_feats_t=(feat_t, ),
        preact_bn_t=(teacher_bn, )).backward()
    assert all(p.grad is not None for p in loss.parameters())
    assert feat_t.grad is None and teacher_bn.weight.grad is None


def test_errors_name_the_stage_the_shapes_and_the_taps():
    loss = build(student_channels=[8, 16], teacher_channels=[8, 32])
    feats_s = (torch.randn(2, 8, 4, 4), torch.randn(2, 16, 2, 2))
    feats_t = (torch.randn(2, 8, 4, 4), torch.randn(2, 24, 2, 2))
    bns = (bn([1.0] * 8, [0.0] * 8), bn([1.0] * 32, [0.0] * 32))
    with pytest.raises(ValueError) as error:
        loss.float()(preact_feats_s=feats_s, preact_feats_t=feats_t, preact_bn_t=bns)
    for part in ('stage 1', '(2, 16, 2, 2)', '(2, 24, 2, 2)', 'connectors[1]',
                 'teacher_channels[1]=24'):
        assert part in str(error.value)

    feats_t = (feats_t[0], torch.randn(2, 32, 2, 2))
    with pytest.raises(ValueError, match=r'one teacher BN per stage \(2\), got 1'):
        loss(preact_feats_s=feats_s, preact_feats_t=feats_t, preact_bn_t=bns[:1])
    with pytest.raises(ValueError, match=r'preact_bn_t\[1\] has 8 channels'):
        loss(preact_feats_s=feats_s, preact_feats_t=feats_t, preact_bn_t=(bns[0], bns[0]))
