"""MLKD + logit standardisation (MLKDLoss(logit_standardization=True))."""
import pytest
import torch
from mmpretrain.registry import MODELS
from test_loss_mlkd import make_views

from kd_plugin.models.dis_losses.utils import standardize_logits

NAMES = ('logits_s', 'logits_t', 'logits_s_strong', 'logits_t_strong')


def _standardized(call):
    return {name: standardize_logits(value) for name, value in call.items()}


@pytest.mark.parametrize('match_reference', [True, False])
def test_ls_mlkd_equals_mlkd_on_standardized_inputs(match_reference):
    """Z(Z(z)) = Z(z) up to the 1e-7 of the std, so on standardised inputs LS changes
    nothing: every term (KD, CC, BC, masks) then sees the same logits."""
    call = _standardized(make_views(8, 10, seed=3))
    kwargs = dict(
        type='MLKDLoss',
        temperature=2.0,
        loss_weight=9.0,
        match_reference=match_reference)
    plain = MODELS.build(kwargs)(**call)
    ls = MODELS.build(dict(kwargs, logit_standardization=True))(**call)
    torch.testing.assert_close(ls, plain, rtol=1e-6, atol=0)


def test_ls_mlkd_standardizes_only_the_instance_kd_terms():
    """Reference (LS repo): L_LS(z) = L(z) + w sum_T c_T [KD_T(Z(z)) - KD_T(z)] with the
    KD coefficients of the reference sum (weak: f_m, plus 1 at T = 2, 6; strong: 1 at
    T = 4, 3, 5); CC / BC and the masks keep the raw logits."""
    call = make_views(8, 10, seed=4)
    weight, base = 9.0, 2.0
    plain = MODELS.build(dict(type='MLKDLoss', temperature=base, loss_weight=weight))
    ls = MODELS.build(
        dict(
            type='MLKDLoss',
            temperature=base,
            loss_weight=weight,
            logit_standardization=True))
    std = _standardized(call)
    sample_fraction = 0.5  # even batch without ties
    correction = 0.
    for T, weak_in_strong in zip((base, 3.0, 5.0, 2.0, 6.0), (0, 0, 0, 1, 1)):
        kd = MODELS.build(dict(type='KDLoss', temperature=T))

        def gap(view):
            return kd(std['logits_s' + view], std['logits_t' + view]) \
                - kd(call['logits_s' + view], call['logits_t' + view])

        correction = correction + (sample_fraction + weak_in_strong) * gap('')
        if not weak_in_strong:
            correction = correction + gap('_strong')
    torch.testing.assert_close(ls(**call), plain(**call) + weight * correction)
