"""ER-MLD (ERMLKDLoss) and ER-CTKD (EntropyReweightedLoss around CTKDLoss): hand-derived
identities."""
import math

import pytest
import torch
from mmpretrain.registry import MODELS
from test_loss_mlkd import make_views

from kd_plugin.models.dis_losses.utils import teacher_entropy

TEMPERATURES = (4.0, 3.0, 5.0, 2.0, 6.0)


def _kd_gap(call, T, view):
    """ER-KD_T - KD_T of one view (mean over the batch), entropy at the same T."""
    er = MODELS.build(
        dict(
            type='EntropyReweightedLoss',
            entropy_temperature=T,
            loss=dict(type='KDLoss', temperature=T)))
    kd = MODELS.build(dict(type='KDLoss', temperature=T))
    pair = dict(logits_s=call['logits_s' + view], logits_t=call['logits_t' + view])
    return er(**pair) - kd(**pair)


def test_ermlkd_reweights_only_the_kd_terms_of_the_reference_sum():
    """ER-MLD = MLD + w sum c_T (ER-KD_T - KD_T), c_T the reference's KD coefficients:
    weak f_m (0.5 here) plus 1 at T = 2, 6; strong 1 at T = 4, 3, 5. CC / BC unchanged."""
    call = make_views(8, 10, seed=7)
    weight = 0.9
    er = MODELS.build(dict(type='ERMLKDLoss', temperature=4.0, loss_weight=weight))
    plain = MODELS.build(dict(type='MLKDLoss', temperature=4.0, loss_weight=weight))
    correction = 0.
    for index, T in enumerate(TEMPERATURES):
        weak_in_strong = index >= 3
        correction = correction + (0.5 + weak_in_strong) * _kd_gap(call, T, '')
        if not weak_in_strong:
            correction = correction + _kd_gap(call, T, '_strong')
    torch.testing.assert_close(er(**call), plain(**call) + weight * correction)


@pytest.mark.parametrize('match_reference', [True, False])
def test_ermlkd_with_a_uniform_teacher(match_reference):
    """A teacher with constant logits has entropy ln C at every T, so each KD term is
    scaled by ln C: ER-MLD = MLD + (ln C - 1) * (its KD part)."""
    call = make_views(6, 10, seed=8)
    call['logits_t'] = torch.full_like(call['logits_t'], 0.3)
    call['logits_t_strong'] = torch.full_like(call['logits_t_strong'], -1.0)
    kwargs = dict(temperature=4.0, loss_weight=0.9, match_reference=match_reference)
    er = MODELS.build(dict(type='ERMLKDLoss', **kwargs))(**call)
    plain_loss = MODELS.build(dict(type='MLKDLoss', **kwargs))
    plain = plain_loss(**call)
    # Doubling every KD term (instance_kd scaled by 2) isolates the KD part.
    doubled = type(
        'Doubled', (type(plain_loss), ), {
            'instance_kd': lambda self, view, T: 2 * plain_loss.instance_kd(view, T)
        })(**kwargs)
    kd_part = doubled(**call) - plain
    torch.testing.assert_close(er, plain + (math.log(10) - 1) * kd_part)


def test_ermlkd_equals_mlkd_for_a_one_hot_teacher():
    """A (numerically) one-hot teacher has zero entropy at every T used: only CC / BC
    remain, so ER-MLD equals MLD minus its KD part, i.e. MLD with the KD terms removed."""
    call = make_views(6, 10, seed=9)
    for name in ('logits_t', 'logits_t_strong'):
        call[name] = torch.nn.functional.one_hot(call[name].argmax(1), 10) * 1e4
    er = MODELS.build(dict(type='ERMLKDLoss'))(**call)
    plain_loss = MODELS.build(dict(type='MLKDLoss'))
    no_kd = type('NoKD', (type(plain_loss), ), {
        'instance_kd': lambda self, view, T: view[0].new_zeros(view[0].shape[0])
    })()
    torch.testing.assert_close(er, no_kd(**call))


def _ctkd_pair(**kwargs):
    outer = ('entropy_temperature', 'reduction')
    er = MODELS.build(
        dict(
            type='EntropyReweightedLoss',
            **{
                k: v
                for k, v in kwargs.items() if k in outer
            },
            loss=dict(
                type='CTKDLoss', **{
                    k: v
                    for k, v in kwargs.items() if k not in outer
                })))
    base = MODELS.build(
        dict(
            type='CTKDLoss',
            reduction='none',
            **{
                k: v
                for k, v in kwargs.items()
                if k not in ('entropy_temperature', 'reduction')
            }))
    return er, base


def test_erctkd_per_sample_weights():
    """ER-CTKD_i = H_i(t_H = 4) * CTKD_i at the same learned T."""
    call = make_views(8, 10, seed=10)
    logits_s, logits_t = call['logits_s'], call['logits_t']
    er, base = _ctkd_pair(loss_weight=0.9, reduction='none')
    expected = teacher_entropy(logits_t, 4.0) * base(
        logits_s=logits_s, logits_t=logits_t, epoch=3)
    torch.testing.assert_close(
        er(logits_s=logits_s, logits_t=logits_t, epoch=3), expected)


def test_erctkd_uniform_teacher_scales_ctkd_and_its_temperature_gradient():
    """Uniform teacher: H = ln C, so loss and the reversed gradient of theta are ln C
    times CTKD's."""
    call = make_views(8, 10, seed=11)
    logits_s, logits_t = call['logits_s'], torch.zeros_like(call['logits_t'])
    er, base = _ctkd_pair(loss_weight=0.9)
    er_loss = er(logits_s=logits_s, logits_t=logits_t, epoch=0)
    base_loss = base(logits_s=logits_s, logits_t=logits_t, epoch=0).mean()
    torch.testing.assert_close(er_loss, math.log(10) * base_loss)
    er_grad, = torch.autograd.grad(er_loss, er.loss.theta)
    base_grad, = torch.autograd.grad(base_loss, base.theta)
    torch.testing.assert_close(er_grad, math.log(10) * base_grad)
    assert [name for name, _ in er.named_parameters()] == ['loss.theta']
