import pytest
import torch
from mmpretrain.registry import MODELS
from test_distiller import batch, distiller

from kd_plugin.models.dis_losses.utils import teacher_entropy


def test_er_weights_any_per_sample_loss():
    torch.manual_seed(0)
    logits_s, logits_t = torch.randn(8, 10) * 3, torch.randn(8, 10) * 3
    target = torch.randint(0, 10, (8, ))

    er_nkd = MODELS.build(dict(type='EntropyReweightedLoss', loss=dict(type='NKDLoss')))
    assert er_nkd.input_names == ['logits_s', 'logits_t', 'target']
    per_sample = MODELS.build(dict(type='NKDLoss', reduction='none'))(
        logits_s=logits_s, logits_t=logits_t, target=target)
    expected = (teacher_entropy(logits_t, 4.0) * per_sample).mean()
    torch.testing.assert_close(
        er_nkd(logits_s=logits_s, logits_t=logits_t, target=target), expected)


def test_generic_er_in_a_distiller_and_its_errors():
    model = distiller(
        distill_losses=dict(
            loss_erdist=dict(
                type='EntropyReweightedLoss', loss=dict(type='DKDLoss', beta=2.0))))
    assert set(model(*batch(), mode='loss')) == {'loss_cls', 'loss_erdist'}
    with pytest.raises(TypeError, match="reduction='none'"):
        MODELS.build(dict(type='EntropyReweightedLoss', loss=dict(type='DISTLoss')))
