import math

import pytest
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from reference_losses import check_reference_case, reference_cases

from kd_plugin.models.dis_losses import spp_region_logits


@pytest.mark.parametrize('case', reference_cases('SDDKDLoss'))
def test_sdd_matches_reference(case):
    check_reference_case(case)


def test_spp_regions_of_an_8x8_map():
    """CIFAR case: region 0 = global logits, then 2x2 and 4x4 cells, row-major."""
    torch.manual_seed(0)
    fmap = torch.randn(2, 5, 8, 8, dtype=torch.float64)
    fc = nn.Linear(5, 3).double()
    regions = spp_region_logits(fmap, fc.weight, fc.bias)
    assert regions.shape == (2, 3, 1 + 4 + 16)
    torch.testing.assert_close(regions[:, :, 0], fc(fmap.mean(dim=(2, 3))))
    for level, start in ((2, 1), (4, 5)):
        size = 8 // level
        for row in range(level):
            for col in range(level):
                cell = fmap[:, :, row * size:(row + 1) * size,
                            col * size:(col + 1) * size]
                torch.testing.assert_close(regions[:, :, start + row * level + col],
                                           fc(cell.mean(dim=(2, 3))))
    # SDD's M=[1,2]: the first five regions, no bias works too.
    torch.testing.assert_close(
        spp_region_logits(fmap, fc.weight, fc.bias, levels=(1, 2)), regions[:, :, :5])
    torch.testing.assert_close(
        spp_region_logits(fmap, fc.weight, None), regions - fc.bias[None, :, None])


def test_spp_pools_coarse_levels_from_the_4x4_grid():
    """A 7x7 map (ImageNet): the adaptive 4x4 cells overlap, and the 1x1 region is the
    mean of the 16 cells (the original pools it from the 4x4 map), not the global mean."""
    torch.manual_seed(1)
    fmap = torch.randn(2, 4, 7, 7, dtype=torch.float64)
    weight = torch.randn(6, 4, dtype=torch.float64)
    bins = [(math.floor(i * 7 / 4), math.ceil((i + 1) * 7 / 4)) for i in range(4)]
    cells = torch.stack(
        [fmap[:, :, r0:r1, c0:c1].mean(dim=(2, 3)) for r0, r1 in bins for c0, c1 in bins],
        dim=2)  # (B, D, 16), row-major
    regions = spp_region_logits(fmap, weight)
    torch.testing.assert_close(regions[:, :, 5:],
                               torch.einsum('cd,bdn->bcn', weight, cells))
    torch.testing.assert_close(regions[:, :, 0], cells.mean(dim=2) @ weight.T)
    assert not torch.allclose(regions[:, :, 0], fmap.mean(dim=(2, 3)) @ weight.T)
    with pytest.raises(ValueError, match='divide'):
        spp_region_logits(fmap, weight, levels=(1, 3))


def test_spp_gradients_reach_feature_map_and_classifier():
    fmap = torch.randn(2, 4, 8, 8, requires_grad=True)
    fc = nn.Linear(4, 3)
    spp_region_logits(fmap, fc.weight, fc.bias).sum().backward()
    assert fmap.grad.abs().sum() > 0 and fc.weight.grad.abs().sum() > 0
    assert fc.bias.grad.abs().sum() > 0


def test_sdd_on_the_global_region_only_is_kd():
    torch.manual_seed(2)
    logits_s, logits_t = torch.randn(6, 10) * 3, torch.randn(6, 10) * 3
    target = torch.randint(0, 10, (6, ))
    sdd = MODELS.build(dict(type='SDDKDLoss', temperature=4.0, loss_weight=0.9))
    kd = MODELS.build(dict(type='KDLoss', temperature=4.0, loss_weight=0.9))
    torch.testing.assert_close(
        sdd(logits_s[:, :, None], logits_t[:, :, None], target), kd(logits_s, logits_t))


def test_sdd_weights_complementary_regions():
    """Hand-built teacher: sample 0 right globally, sample 1 wrong; each local region
    is right or wrong as listed, so the complementary ones get weight 2."""
    num_classes, regions = 4, 5
    target = torch.tensor([1, 2])
    right_or_wrong = torch.tensor([
        [1, 1, 0, 1, 0],  # global right: regions 2, 4 differ
        [0, 1, 0, 0, 1]
    ])  # global wrong: regions 1, 4 differ
    expected_weights = torch.tensor([[1., 1., 2., 1., 2.], [1., 2., 1., 1., 2.]])
    logits_t = torch.zeros(2, num_classes, regions, dtype=torch.float64)
    for i in range(2):
        for r in range(regions):
            predicted = target[i] if right_or_wrong[i,
                                                    r] else (target[i] + 1) % num_classes
            logits_t[i, predicted, r] = 3.0 + r
    torch.manual_seed(3)
    logits_s = torch.randn(2, num_classes, regions, dtype=torch.float64)
    kd = MODELS.build(dict(type='KDLoss', temperature=4.0, reduction='none'))
    per_region = torch.stack(
        [kd(logits_s[:, :, r], logits_t[:, :, r]) for r in range(regions)], dim=1)
    expected = (expected_weights * per_region).sum() / (2 * regions)
    sdd = MODELS.build(dict(type='SDDKDLoss', temperature=4.0))
    torch.testing.assert_close(sdd(logits_s, logits_t, target), expected)
    # Per-sample values average to the batch value.
    per_sample = MODELS.build(dict(type='SDDKDLoss', temperature=4.0,
                                   reduction='none'))(logits_s, logits_t, target)
    assert per_sample.shape == (2, )
    torch.testing.assert_close(per_sample.mean(), expected)
    torch.testing.assert_close(per_sample, (expected_weights * per_region).mean(dim=1))


def test_sdd_soft_target_uses_argmax():
    torch.manual_seed(4)
    logits_s, logits_t = torch.randn(4, 10, 5) * 3, torch.randn(4, 10, 5) * 3
    target = torch.tensor([3, 0, 7, 7])
    lam = 0.7
    soft = lam * torch.eye(10)[target] + (1 - lam) * torch.eye(10)[target.flip(0)]
    sdd = MODELS.build(dict(type='SDDKDLoss'))
    torch.testing.assert_close(
        sdd(logits_s, logits_t, soft), sdd(logits_s, logits_t, target))


def test_sdd_half_precision_and_non_finite_guard():
    torch.manual_seed(5)
    logits_t = torch.randn(8, 100, 21) * 4
    logits_s = 0.6 * logits_t + torch.randn(8, 100, 21) * 2
    target = torch.randint(0, 100, (8, ))
    sdd = MODELS.build(dict(type='SDDKDLoss'))
    half = sdd(logits_s.half(), logits_t.half(), target)
    assert half.dtype == torch.float32 and torch.isfinite(half)
    torch.testing.assert_close(
        half, sdd(logits_s.half().float(),
                  logits_t.half().float(), target))
    # An infinite teacher logit (overflowed fp16) makes NaN entries: the reference
    # zeroes them, so the loss stays finite.
    logits_t[0, 0, 0] = float('inf')
    assert torch.isfinite(sdd(logits_s, logits_t, target))


def test_spp_with_an_mmpretrain_classifier():
    """Any model whose head is one linear layer on the pooled final map: region 0 of
    an mmpretrain CIFAR ResNet-18 (4x4 final map) is its own logits."""
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64))).eval()
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        fmap = model.backbone(inputs)[-1]
        regions = spp_region_logits(fmap, model.head.fc.weight, model.head.fc.bias)
        logits = model(inputs, mode='tensor')
    assert regions.shape == (2, 10, 21)
    torch.testing.assert_close(regions[:, :, 0], logits, rtol=1e-5, atol=1e-5)
