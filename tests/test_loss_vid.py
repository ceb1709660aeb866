"""VID: the Gaussian negative log-likelihood on a hand example, trainable variances
(mdistiller's are never trained), pooling, and errors for mismatched channels."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='VIDLoss', **kwargs)).double()


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes)


def set_variance(loss, stage, variance):
    with torch.no_grad():
        loss.log_scales[stage].fill_(math.log(math.expm1(variance - loss.eps)))


def test_variances_start_at_init_var_and_are_registered_parameters():
    loss = build(student_channels=[4, 8], teacher_channels=[6, 10], init_var=5.0)
    for variance, channels in zip(loss.variances(), (6, 10)):
        torch.testing.assert_close(variance,
                                   torch.full((channels, ), 5.0, dtype=torch.float64))
    names = dict(loss.named_parameters())
    assert 'log_scales.0' in names and 'log_scales.1' in names
    assert 'log_scales.1' in loss.state_dict()


def test_loss_is_the_gaussian_nll_on_a_hand_example():
    loss = build(student_channels=[1], teacher_channels=[1], loss_weight=1.0)
    with torch.no_grad():
        for param in loss.regressors[0].parameters():
            param.fill_(1.0)  # three 1x1 convs of weight 1: mean = relu(student)
    feat_s = torch.tensor([[[[-1.0, 2.0], [0.5, 3.0]]]], dtype=torch.float64)
    feat_t = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]], dtype=torch.float64)
    # mean = (0, 2, 0.5, 3), squared errors (0, 1, 0.25, 4): mean 1.3125.
    # sigma^2 = 5: 0.5 * (1.3125 / 5 + ln 5)
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))
    torch.testing.assert_close(value.item(), 0.13125 + 0.5 * 1.6094379124341003)
    set_variance(loss, 0, 2.0)
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))
    torch.testing.assert_close(value.item(), 0.328125 + 0.5 * 0.6931471805599453)


def test_per_channel_variances_weight_each_channel():
    loss = build(student_channels=[3], teacher_channels=[2], loss_weight=2.0)
    set_variance(loss, 0, 1.0)
    with torch.no_grad():
        loss.log_scales[0][1] = math.log(math.expm1(4.0 - loss.eps))
    feat_s, feat_t = maps((2, 3, 4, 4), (2, 2, 4, 4), seed=1)
    mean = loss.regressors[0](feat_s)
    variance = torch.tensor([1.0, 4.0], dtype=torch.float64).view(1, 2, 1, 1)
    expected = 2.0 * (0.5 * ((mean - feat_t)**2 / variance + variance.log())).mean()
    torch.testing.assert_close(loss(feats_s=(feat_s, ), feats_t=(feat_t, )), expected)


def test_stages_are_summed_and_the_larger_map_is_pooled_first():
    loss = build(student_channels=[3, 5], teacher_channels=[4, 6])
    feat_s0, feat_t0, feat_s1, feat_t1 = maps((2, 3, 8, 8), (2, 4, 4, 4), (2, 5, 2, 2),
                                              (2, 6, 4, 4),
                                              seed=2)
    per_stage = []
    for stage, (f_s, f_t) in enumerate(
        ((F.adaptive_avg_pool2d(feat_s0,
                                4), feat_t0), (feat_s1, F.adaptive_avg_pool2d(feat_t1,
                                                                              2)))):
        mean = loss.regressors[stage](f_s)
        per_stage.append((0.5 * ((mean - f_t)**2 / 5.0 + math.log(5.0))).mean())
    value = loss(feats_s=(feat_s0, feat_s1), feats_t=(feat_t0, feat_t1))
    torch.testing.assert_close(value, per_stage[0] + per_stage[1])


def test_variances_receive_gradients_and_train():
    loss = build(student_channels=[3], teacher_channels=[2])
    feat_s, feat_t = maps((4, 3, 4, 4), (4, 2, 4, 4), seed=3, grad=True)
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))
    value.backward()
    # d/d alpha of 0.5 (e_c / v + log v), v = softplus(alpha) + eps, per channel c
    # with e_c the channel's mean squared error / C (the mean runs over channels too).
    with torch.no_grad():
        error = (loss.regressors[0](feat_s) - feat_t).pow(2).mean(dim=(0, 2, 3)) / 2
    alpha = loss.log_scales[0].detach()
    variance = F.softplus(alpha) + loss.eps
    expected = 0.5 * (-error / variance**2 + 0.5 / variance) * torch.sigmoid(alpha)
    torch.testing.assert_close(loss.log_scales[0].grad, expected)
    assert all(p.grad is not None for p in loss.regressors.parameters())
    assert feat_t.grad is None and feat_s.grad is not None

    # The variances move with the optimizer that trains the student and connectors.
    before = loss.variances()[0].detach().clone()
    torch.optim.SGD(loss.parameters(), lr=0.5).step()
    assert not torch.allclose(loss.variances()[0], before)


def test_mismatched_channels_and_stage_counts_are_explained():
    loss = build(student_channels=[8, 16], teacher_channels=[8, 32])
    feat_s0, feat_t0, feat_s1, feat_t1 = maps((2, 8, 4, 4), (2, 8, 4, 4), (2, 12, 2, 2),
                                              (2, 32, 2, 2))
    with pytest.raises(ValueError) as error:
        loss(feats_s=(feat_s0, feat_s1), feats_t=(feat_t0, feat_t1))
    message = str(error.value)
    for part in ('stage 1', '(2, 12, 2, 2)', '(2, 32, 2, 2)', 'regressors[1]',
                 'student_channels[1]=12'):
        assert part in message
    with pytest.raises(ValueError, match='built for 2 student and 2 teacher stages'):
        loss(
            feats_s=(feat_s0, ), feats_t=(feat_t0, ))
    with pytest.raises(ValueError, match='same number of stages'):
        build(student_channels=[8], teacher_channels=[8, 16])
