"""MGD: with an injected generator the loss equals a hand computation; the channel mask;
what trains; errors for mismatched channels and sizes."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='MGDLoss', **kwargs)).double()


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes)


def test_fixed_generator_gives_the_hand_computed_loss():
    loss = build(student_channels=6, teacher_channels=8, mask_ratio=0.3, loss_weight=1e-2)
    loss.generator = torch.Generator().manual_seed(7)
    feat_s, feat_t = maps((3, 6, 4, 4), (3, 8, 4, 4), seed=1)
    value = loss(
        feats_s=(feat_s, ), feats_t=(feat_t, ))

    noise = torch.rand((3, 8, 1, 1), generator=torch.Generator().manual_seed(7))
    mask = (noise >= 0.3).double()  # the original: 0 where u < lambda, else 1
    align = loss.generation.align
    conv1, conv2 = loss.generation.generation[0], loss.generation.generation[2]
    x = F.conv2d(feat_s, align.weight, align.bias) * mask
    x = F.conv2d(
        F.conv2d(x, conv1.weight, conv1.bias, padding=1).relu(),
        conv2.weight,
        conv2.bias,
        padding=1)
    expected = 1e-2 * (x - feat_t).pow(2).sum() / 3  # sum over C, H, W; mean over B
    torch.testing.assert_close(value, expected)


def test_the_mask_drops_whole_channels_per_sample_at_the_given_rate():
    loss = build(student_channels=4, teacher_channels=256, mask_ratio=0.15)
    loss.generator = torch.Generator().manual_seed(0)
    mask = loss.channel_mask(64)
    assert mask.shape == (64, 256, 1, 1)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert (1 - mask).mean().item() == pytest.approx(0.15, abs=0.01)
    assert not torch.equal(mask[0], mask[1])  # per sample
    # Same seed, same masks; the next call draws new ones.
    loss.generator = torch.Generator().manual_seed(0)
    assert torch.equal(loss.channel_mask(64), mask)
    assert not torch.equal(loss.channel_mask(64), mask)


def test_no_align_for_equal_channels_and_no_mask_at_ratio_zero():
    loss = build(student_channels=5, teacher_channels=5, mask_ratio=0.0, loss_weight=1.0)
    assert loss.generation.align is None
    feat_s, feat_t = maps((2, 5, 3, 3), (2, 5, 3, 3), seed=2)
    expected = (loss.generation.generation(feat_s) - feat_t).pow(2).sum() / 2
    torch.testing.assert_close(loss(feats_s=(feat_s, ), feats_t=(feat_t, )), expected)


def test_last_stage_is_used_and_generator_trains_alone():
    loss = build(student_channels=4, teacher_channels=6)
    earlier, feat_s, feat_t = maps((2, 9, 8, 8), (2, 4, 2, 2), (2, 6, 2, 2),
                                   seed=3,
                                   grad=True)
    loss(
        feats_s=(earlier, feat_s), feats_t=(feat_t, )).backward()
    assert all(p.grad is not None for p in loss.parameters())
    assert feat_s.grad is not None and earlier.grad is None and feat_t.grad is None


def test_mismatched_channels_and_sizes_are_explained():
    loss = build(student_channels=32, teacher_channels=64)
    feat_s, feat_t = maps((2, 16, 4, 4), (2, 64, 4, 4))
    with pytest.raises(ValueError) as error:
        loss(
            feats_s=(feat_s, ), feats_t=(feat_t, ))
    for part in ('last stage', '(2, 16, 4, 4)', '(2, 64, 4, 4)', 'generation',
                 'student_channels=16'):
        assert part in str(error.value)
    small = build(student_channels=4, teacher_channels=4)
    feat_s, feat_t = maps((2, 4, 4, 4), (2, 4, 8, 8))
    with pytest.raises(ValueError, match='same spatial size'):
        small(
            feats_s=(feat_s, ), feats_t=(feat_t, ))
