"""VIDLoss(learn_variances=False): mdistiller's VID, whose variances stay at their
initial value for the whole run (megvii-research/mdistiller@a08d46f:
mdistiller/distillers/VID.py keeps them in an unregistered list)."""
import math

import torch
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='VIDLoss', **kwargs)).double()


def test_fixed_variances_are_neither_parameters_nor_state():
    loss = build(student_channels=[4, 8], teacher_channels=[6, 10], learn_variances=False)
    assert all(name.startswith('regressors.') for name, _ in loss.named_parameters())
    assert not [key for key in loss.state_dict() if 'log_scale' in key]
    for variance, channels in zip(loss.variances(), (6, 10)):
        assert variance.dtype == torch.float64  # buffers follow .double() / .to()
        torch.testing.assert_close(variance,
                                   torch.full((channels, ), 5.0, dtype=torch.float64))
    # The default keeps training them, as RepDistiller.
    learned = build(student_channels=[4, 8], teacher_channels=[6, 10])
    assert {'log_scales.0', 'log_scales.1'} <= set(dict(learned.named_parameters()))


def test_fixed_variance_loss_is_scaled_mse_plus_constant_and_stays_so():
    loss = build(
        student_channels=[1],
        teacher_channels=[1],
        loss_weight=2.0,
        learn_variances=False)
    with torch.no_grad():
        for param in loss.regressors[0].parameters():
            param.fill_(1.0)  # three 1x1 convs of weight 1: mean = relu(student)
    feat_s = torch.tensor([[[[-1.0, 2.0], [0.5, 3.0]]]],
                          dtype=torch.float64,
                          requires_grad=True)
    feat_t = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]], dtype=torch.float64)
    # mean = (0, 2, 0.5, 3), squared errors (0, 1, 0.25, 4): MSE 1.3125. sigma^2 = 5:
    # 2 * 0.5 * (1.3125 / 5 + ln 5) = 0.2625 + ln 5.
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))
    torch.testing.assert_close(value.item(), 0.2625 + math.log(5.0))
    value.backward()
    # d/d relu(s) of 2 * 0.5 * mean((m - t)^2) / 5 = 2 (m - t) / (4 * 5), through relu.
    torch.testing.assert_close(
        feat_s.grad, torch.tensor([[[[0.0, 0.1], [-0.05, 0.2]]]], dtype=torch.float64))

    # One optimizer step over everything the module owns moves the regressor only.
    torch.optim.SGD(loss.parameters(), lr=0.5, weight_decay=5e-4).step()
    torch.testing.assert_close(loss.variances()[0],
                               torch.full((1, ), 5.0, dtype=torch.float64))
    after = loss(
        feats_s=(feat_s.detach(), ), feats_t=(feat_t, ))
    mean = loss.regressors[0](feat_s.detach())
    torch.testing.assert_close(after, (mean - feat_t).pow(2).mean() / 5.0 + math.log(5.0))
