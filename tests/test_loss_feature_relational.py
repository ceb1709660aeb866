"""AT, NST, SP (stage maps) and PKT, RKD (pooled vectors): reference values recorded
from mdistiller, one defining property per method, the paper variants and input errors."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from reference_losses import DATA_DIR, check_reference_case, reference_cases

FEATURE_LOSSES = ('ATLoss', 'NSTLoss')


def build(loss_type: str, **kwargs):
    return MODELS.build(dict(type=loss_type, **kwargs)).double()


def relu_maps(*shapes, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(*shape, generator=generator, dtype=torch.float64).relu()
        for shape in shapes)


def vectors(*shape, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


# --------------------------------------------------------------- reference values
@pytest.mark.parametrize('case', reference_cases('ATLoss', 'NSTLoss', 'PKTLoss',
                                                 'RKDLoss'))
def test_matches_mdistiller(case):
    check_reference_case(case)


@pytest.mark.parametrize('case', reference_cases('SPLoss'))
def test_sp_matches_mdistiller(case):
    # SP reads only the deepest stage: mdistiller's recorded gradients of the others are
    # zero, and autograd cannot differentiate through inputs the loss does not use, so
    # the case is checked on its last stage alone.
    arrays = np.load(DATA_DIR / f"{case['case']}.npz")
    for key in case['grad']['feats_s'][:-1]:
        assert not arrays[key].any(), key
    last_stage = copy.deepcopy(case)
    for name in ('feats_s', 'feats_t'):
        last_stage['call'][name] = case['call'][name][-1:]
    last_stage['grad']['feats_s'] = case['grad']['feats_s'][-1:]
    check_reference_case(last_stage)


# --------------------------------------------------------------- defining properties
def test_at_invariant_to_positive_scaling_of_a_map():
    feats_s = relu_maps((2, 8, 8, 8), (2, 16, 4, 4), seed=0)
    feats_t = relu_maps((2, 12, 8, 8), (2, 24, 4, 4), seed=1)
    for match_reference in (True, False):
        loss = build('ATLoss', match_reference=match_reference)
        scaled = (feats_s[0] * 7.5, feats_s[1] * 0.01)
        torch.testing.assert_close(
            loss(feats_s=scaled, feats_t=feats_t), loss(feats_s=feats_s, feats_t=feats_t))
        assert loss(feats_s=feats_t, feats_t=feats_t).item() == 0


def test_at_pools_the_larger_map_and_paper_variant():
    (big_s, ) = relu_maps((3, 4, 16, 8), seed=2)
    (feat_t, ) = relu_maps((3, 6, 8, 4), seed=3)
    pooled_s = torch.nn.functional.adaptive_avg_pool2d(big_s, (8, 4))
    loss = build('ATLoss', loss_weight=1.0)
    torch.testing.assert_close(
        loss(feats_s=(big_s, ), feats_t=(feat_t, )),
        loss(feats_s=(pooled_s, ), feats_t=(feat_t, )))

    # Paper: (1/B) sum_b ||a_s - a_t||_2 with a = normalize(vec(mean_c |F|^p)).
    def attention(feat):
        flat = feat.abs().pow(2).mean(1).flatten(1)
        return flat / flat.norm(dim=1, keepdim=True)

    expected = (attention(pooled_s) - attention(feat_t)).norm(dim=1).mean()
    paper = build('ATLoss', loss_weight=1.0, match_reference=False)
    torch.testing.assert_close(paper(feats_s=(big_s, ), feats_t=(feat_t, )), expected)
    # |F|: the paper's map ignores the sign of pre-activation features.
    torch.testing.assert_close(paper(feats_s=(-big_s, ), feats_t=(feat_t, )), expected)


def test_nst_is_an_mmd_over_normalised_channels():
    feats_s = relu_maps((2, 8, 8, 8), (2, 16, 4, 4), seed=4)
    feats_t = relu_maps((2, 5, 8, 8), (2, 10, 4, 4), seed=5)
    loss = build('NSTLoss')
    value = loss(feats_s=feats_s, feats_t=feats_t)
    assert value.item() > 0
    # Each channel's spatial vector is L2-normalised, and channels form an unordered
    # set: positive per-channel scales and channel permutations leave the loss as is.
    scales = torch.rand(1, 8, 1, 1, dtype=torch.float64) + 0.1
    permuted = (feats_s[0][:, torch.randperm(8)] * scales, feats_s[1].flip(1))
    torch.testing.assert_close(loss(feats_s=permuted, feats_t=feats_t), value)
    # Same channel distribution -> zero discrepancy.
    assert abs(loss(feats_s=feats_t, feats_t=feats_t).item()) < 1e-12


def test_sp_depends_only_on_the_batch_gram_matrix():
    feat_s, feat_t = relu_maps((4, 2, 4, 4), (4, 8, 2, 2), seed=6)
    loss = build('SPLoss')
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))
    # Any orthogonal map of the flattened features keeps Q Q^T, hence the loss.
    rotation, _ = torch.linalg.qr(vectors(32, 32, seed=7))
    rotated = (feat_s.flatten(1) @ rotation).reshape(4, 8, 2, 2)
    ignored_stage = vectors(4, 3, 5, 5, seed=8)
    torch.testing.assert_close(
        loss(feats_s=(ignored_stage, rotated), feats_t=(feat_t, )), value)
    # Rows of Q Q^T are normalised: a common scale of the batch changes nothing.
    torch.testing.assert_close(
        loss(feats_s=(feat_s * 25.0, ), feats_t=(feat_t, )), value)
    assert loss(
        feats_s=(feat_t * 0.5, ), feats_t=(feat_t, )).item() < 1e-12


def test_pkt_zero_for_equal_similarities_and_paper_variant():
    pooled_s, pooled_t = vectors(6, 16, seed=9).relu(), vectors(6, 32, seed=10).relu()
    loss = build('PKTLoss', loss_weight=1.0)
    assert abs(loss(pooled_s=pooled_t * 3, pooled_t=pooled_t).item()) < 1e-12
    per_sample = torch.tensor([[1.0], [2.0], [0.1], [5.0], [1.0], [9.0]],
                              dtype=torch.float64)
    torch.testing.assert_close(
        loss(pooled_s=pooled_s * per_sample, pooled_t=pooled_t),
        loss(pooled_s=pooled_s, pooled_t=pooled_t))

    # Paper: P_ij = K_ij / sum_{k != i} K_ik over j != i, KL averaged over the pairs.
    def conditional(x):
        unit = x / x.norm(dim=1, keepdim=True)
        kernel = (unit @ unit.t() + 1) / 2
        return [[kernel[i, j] / (kernel[i].sum() - kernel[i, i]) for j in range(6)]
                for i in range(6)]

    p_s, p_t = conditional(pooled_s), conditional(pooled_t)
    expected = sum(p_t[i][j] * torch.log(p_t[i][j] / p_s[i][j]) for i in range(6)
                   for j in range(6) if i != j) / 30
    paper = build('PKTLoss', loss_weight=1.0, match_reference=False)
    torch.testing.assert_close(
        paper(pooled_s=pooled_s, pooled_t=pooled_t), expected, rtol=1e-6, atol=1e-9)


def test_rkd_zero_for_identical_inputs_and_scale_invariant():
    pooled_s, pooled_t = vectors(8, 16, seed=11), vectors(8, 24, seed=12)
    for match_reference in (True, False):
        loss = build('RKDLoss', match_reference=match_reference)
        assert loss(pooled_s=pooled_t, pooled_t=pooled_t).item() < 1e-12
        value = loss(pooled_s=pooled_s, pooled_t=pooled_t)
        assert value.item() > 0
        # Distances are divided by their mean, angles ignore lengths and offsets.
        torch.testing.assert_close(
            loss(pooled_s=pooled_s * 4.0 + 1.5, pooled_t=pooled_t), value)
    distance_only = dict(distance_weight=1.0, angle_weight=0.0)
    torch.testing.assert_close(
        build('RKDLoss', **distance_only)(pooled_s=pooled_s * 4.0, pooled_t=pooled_t),
        build('RKDLoss', **distance_only)(pooled_s=pooled_s, pooled_t=pooled_t))


def test_rkd_paper_variant_averages_over_distinct_pairs_and_triplets():
    pooled_s, pooled_t = vectors(5, 8, seed=13), vectors(5, 8, seed=14)
    batch = 5
    for weights, factor in ((dict(distance_weight=1.0,
                                  angle_weight=0.0), (batch - 1) / batch),
                            (dict(distance_weight=0.0, angle_weight=1.0),
                             (batch - 1) * (batch - 2) / batch**2)):
        reference = build('RKDLoss', **weights)(pooled_s=pooled_s, pooled_t=pooled_t)
        paper = build(
            'RKDLoss', match_reference=False, **weights)(
                pooled_s=pooled_s, pooled_t=pooled_t)
        torch.testing.assert_close(reference, paper * factor)


# --------------------------------------------------------------- precision (AMP)
def _loss_inputs(loss_type: str, dtype: torch.dtype) -> dict:
    if loss_type in ('PKTLoss', 'RKDLoss'):
        return dict(
            pooled_s=vectors(8, 64, seed=15).relu().to(dtype),
            pooled_t=vectors(8, 96, seed=16).relu().to(dtype))
    feats_s = relu_maps((4, 16, 16, 16), (4, 32, 8, 8), seed=17)
    feats_t = relu_maps((4, 32, 16, 16), (4, 64, 8, 8), seed=18)
    return dict(
        feats_s=tuple(f.to(dtype) * 4 for f in feats_s),
        feats_t=tuple(f.to(dtype) * 4 for f in feats_t))


@pytest.mark.parametrize('loss_type',
                         ['ATLoss', 'NSTLoss', 'SPLoss', 'PKTLoss', 'RKDLoss'])
def test_half_precision_inputs_and_autocast(loss_type):
    loss = MODELS.build(dict(type=loss_type))
    exact = loss(**_loss_inputs(loss_type, torch.float32))
    # Autocast would run the Gram/similarity matmuls in bf16: the losses turn it off.
    with torch.autocast('cpu', dtype=torch.bfloat16):
        under_autocast = loss(**_loss_inputs(loss_type, torch.float32))
    assert under_autocast.dtype == torch.float32
    torch.testing.assert_close(under_autocast, exact)
    # Half-precision inputs are computed in float32.
    half_inputs = _loss_inputs(loss_type, torch.bfloat16)
    half = loss(**half_inputs)
    assert half.dtype == torch.float32
    upcast_inputs = {
        name: tuple(f.float()
                    for f in value) if isinstance(value, tuple) else value.float()
        for name, value in half_inputs.items()
    }
    torch.testing.assert_close(half, loss(**upcast_inputs))


# --------------------------------------------------------------- input errors
@pytest.mark.parametrize('loss_type', FEATURE_LOSSES)
def test_stage_count_mismatch(loss_type):
    feats_s = relu_maps((2, 4, 8, 8), (2, 4, 4, 4))
    feats_t = relu_maps((2, 4, 16, 16), (2, 4, 8, 8), (2, 4, 4, 4))
    with pytest.raises(
            ValueError,
            match=r'student gives 2 feature stages and the '
            r'teacher 3.*teacher_taps'):
        build(loss_type)(feats_s=feats_s, feats_t=feats_t)


@pytest.mark.parametrize('loss_type', FEATURE_LOSSES)
def test_unalignable_spatial_sizes(loss_type):
    feats_s = relu_maps((2, 4, 8, 8), (2, 4, 8, 4))
    feats_t = relu_maps((2, 4, 8, 8), (2, 4, 4, 8))
    with pytest.raises(
            ValueError,
            match=r'stage 1: spatial sizes cannot be aligned '
            r'\(student \(2, 4, 8, 4\), teacher \(2, 4, 4, 8\)\)'):
        build(loss_type)(feats_s=feats_s, feats_t=feats_t)


@pytest.mark.parametrize('loss_type', FEATURE_LOSSES + ('SPLoss', ))
def test_feature_batch_and_container_errors(loss_type):
    loss = build(loss_type)
    with pytest.raises(ValueError, match='batch'):
        loss(feats_s=relu_maps((2, 4, 8, 8)), feats_t=relu_maps((3, 4, 8, 8)))
    with pytest.raises(ValueError, match='non-empty tuple of stage maps'):
        loss(feats_s=relu_maps((2, 4, 8, 8))[0], feats_t=relu_maps((2, 4, 8, 8)))
    with pytest.raises(ValueError, match='non-empty tuple of stage maps'):
        loss(feats_s=relu_maps((2, 4, 8, 8)), feats_t=())


@pytest.mark.parametrize('loss_type', ['PKTLoss', 'RKDLoss'])
def test_pooled_input_errors(loss_type):
    loss = build(loss_type)
    with pytest.raises(ValueError, match=r'expected \(B, D\) pooled vectors'):
        loss(pooled_s=vectors(4, 8, 1, 1), pooled_t=vectors(4, 8))
    with pytest.raises(ValueError, match='batch sizes differ'):
        loss(pooled_s=vectors(4, 8), pooled_t=vectors(5, 8))
    paper = build(loss_type, match_reference=False)
    with pytest.raises(ValueError, match='at least'):
        paper(pooled_s=vectors(1, 8), pooled_t=vectors(1, 8))
