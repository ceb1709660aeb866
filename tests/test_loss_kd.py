import pytest
import torch
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases


@pytest.mark.parametrize('case', reference_cases('KDLoss'))
def test_kd_matches_mdistiller(case):
    check_reference_case(case)


def test_kd_per_sample_and_half_precision():
    torch.manual_seed(0)
    logits_s, logits_t = torch.randn(6, 10) * 3, torch.randn(6, 10) * 3
    loss = MODELS.build(dict(type='KDLoss', temperature=4.0, loss_weight=0.9))
    per_sample = MODELS.build(
        dict(type='KDLoss', temperature=4.0, loss_weight=0.9, reduction='none'))(logits_s,
                                                                                 logits_t)
    assert per_sample.shape == (6, )
    torch.testing.assert_close(per_sample.mean(), loss(logits_s, logits_t))
    # fp16 logits (AMP) are computed in float32: same value as the float32 inputs.
    half = loss(logits_s.half(), logits_t.half())
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, loss(logits_s.half().float(),
                                          logits_t.half().float()))
    # Identical distributions give exactly zero.
    assert loss(logits_t, logits_t).abs().item() < 1e-6
