"""ReviewKD and ER-ReviewKD: HCL level weights and pyramid, the review pipeline of ABFs,
the warm-up, the entropy weighting of the reference, and errors for mismatched levels."""
import math

import pytest
import torch
from mmpretrain.registry import MODELS

from kd_plugin.models.dis_losses.reviewkd import hcl_per_sample

# resnet8x4-like student levels (3 stages + pooled) against a narrower teacher.
STUDENT = ((2, 8, 8, 8), (2, 16, 4, 4), (2, 32, 2, 2))
TEACHER = ((2, 4, 16, 16), (2, 6, 8, 8), (2, 12, 4, 4))
CHANNELS = dict(student_channels=[8, 16, 32, 32], teacher_channels=[4, 6, 12, 12])


def build(loss_type='ReviewKDLoss', **kwargs):
    return MODELS.build(dict(type=loss_type, **{**CHANNELS, **kwargs})).double()


def inputs(seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape, requires_grad):
        value = torch.randn(*shape, generator=generator, dtype=torch.float64)
        return value.requires_grad_(requires_grad)

    return dict(
        feats_s=tuple(randn(*s, requires_grad=grad) for s in STUDENT),
        pooled_s=randn(2, 32, requires_grad=grad),
        preact_feats_t=tuple(randn(*s, requires_grad=grad) for s in TEACHER),
        pooled_t=randn(2, 12, requires_grad=grad))


def checkerboard(size, cells):
    """A size x size map of +-1 in a cells x cells checkerboard."""
    signs = (torch.arange(cells)[:, None] + torch.arange(cells)[None, :]) % 2 * 2 - 1
    block = size // cells
    return signs.repeat_interleave(block, 0).repeat_interleave(block, 1).double()


@pytest.mark.parametrize(
    'size, cells, expected',
    [
        (8, 8, 1 / 1.875),  # zero mean over every 2x2 cell: only the full MSE (w 1)
        (8, 4, 1.5 / 1.875),  # survives the 4x4 pooling (w 1/2)
        (8, 2, 1.75 / 1.875),  # and the 2x2 pooling (w 1/4)
        (8, 1, 1.0),  # a constant difference survives every level (w 1/8)
        (4, 4, 1 / 1.75),  # h = 4: levels 2 and 1 only (4 is not below h)
        (4, 2, 1.5 / 1.75),
        (2, 2, 1 / 1.5),  # h = 2: level 1 only
        (1, 1, 1.0),  # the pooled level: plain MSE
    ])
def test_hcl_level_weights_and_pyramid(size, cells, expected):
    diff = checkerboard(size, cells)[None, None].expand(3, 2, size, size)
    feat_t = torch.randn(3, 2, size, size, dtype=torch.float64)
    per_sample = hcl_per_sample(feat_t + diff, feat_t)
    torch.testing.assert_close(per_sample, torch.full((3, ),
                                                      expected,
                                                      dtype=torch.float64))


def test_hcl_weights_mix_full_and_pooled_errors():
    # difference +-1 (checkerboard) + c: full MSE 1 + c^2, every pooled MSE c^2.
    c = 0.5
    diff = checkerboard(8, 8)[None, None] + c
    feat_t = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    expected = (1 + c**2 + c**2 * (0.5 + 0.25 + 0.125)) / 1.875
    assert hcl_per_sample(feat_t + diff, feat_t).item() == pytest.approx(expected)


def test_review_fuses_from_the_deepest_level_into_teacher_shapes():
    loss = build()
    loss.eval()
    assert [abf.att_conv is None for abf in loss.abfs] == [False, False, False, True]
    assert all(abf.conv1[0].out_channels == 32 for abf in loss.abfs)  # min(512, 32)
    data = inputs()
    levels = [*data['feats_s'], data['pooled_s'][:, :, None, None]]
    sizes = [(16, 16), (8, 8), (4, 4), (1, 1)]
    outputs = loss.review(levels, sizes)
    assert [tuple(o.shape) for o in outputs] == [(2, 4, 16, 16), (2, 6, 8, 8),
                                                 (2, 12, 4, 4), (2, 12, 1, 1)]
    # Knowledge flows from deep to shallow: a shallow level changes no deeper output,
    # the pooled level changes every output.
    shallow = [levels[0] + 1, *levels[1:]]
    changed = loss.review(shallow, sizes)
    assert not torch.allclose(changed[0], outputs[0])
    assert all(torch.equal(a, b) for a, b in zip(changed[1:], outputs[1:]))
    deep = [*levels[:3], levels[3] + 1]
    changed = loss.review(deep, sizes)
    assert not any(torch.allclose(a, b) for a, b in zip(changed, outputs))


def test_loss_is_the_warmed_up_sum_of_hcl_over_levels():
    loss = build(loss_weight=5.0, warmup_epochs=20)
    loss.eval()
    data = inputs(seed=1)
    levels_t = [*data['preact_feats_t'], data['pooled_t'][:, :, None, None]]
    outputs = loss.review([*data['feats_s'], data['pooled_s'][:, :, None, None]],
                          [tuple(t.shape[-2:]) for t in levels_t])
    hcl = sum(hcl_per_sample(o, t) for o, t in zip(outputs, levels_t)).mean()
    for epoch, factor in ((0, 1 / 20), (9, 0.5), (19, 1.0), (100, 1.0)):
        torch.testing.assert_close(loss(**data, epoch=epoch), 5.0 * factor * hcl)
    per_sample = build(loss_weight=5.0, reduction='none').eval()
    per_sample.load_state_dict(loss.state_dict())
    assert per_sample(
        **data, epoch=30).shape == (2, )


@pytest.mark.parametrize('wrapper', [None, 'EntropyReweightedLoss'])
def test_zero_based_warm_up_is_the_official_cifar_one(wrapper):
    """min(1, epoch / W) over the official train.py's range(epochs): 0 in the first
    epoch, 1 from epoch W on (W = 20), with or without the ER wrapper."""
    config = dict(type='ReviewKDLoss', **CHANNELS, loss_weight=5.0, warmup_epochs=20)
    if wrapper is not None:
        config = dict(type=wrapper, loss=config, entropy_temperature=4.0)
    data = dict(inputs(seed=4), logits_t=torch.randn(2, 10, dtype=torch.float64))
    full = MODELS.build(config).double().eval()
    zero_based = MODELS.build(_with_convention(config, 'zero_based')).double().eval()
    zero_based.load_state_dict(full.state_dict())
    args = data if wrapper else {k: v for k, v in data.items() if k != 'logits_t'}
    unwarmed = full(**args, epoch=100)  # past the warm-up in both conventions
    for epoch, factor in ((0, 0.0), (1, 1 / 20), (19, 19 / 20), (20, 1.0)):
        torch.testing.assert_close(zero_based(**args, epoch=epoch), factor * unwarmed)
    # The default (mdistiller's 1-based epochs) is one epoch ahead.
    torch.testing.assert_close(full(**args, epoch=0), unwarmed / 20)
    torch.testing.assert_close(full(**args, epoch=19), unwarmed)


def _with_convention(config, convention):
    if config['type'] == 'ReviewKDLoss':
        return dict(config, warmup_convention=convention)
    return dict(config, loss=_with_convention(config['loss'], convention))


def test_unknown_warm_up_convention_names_the_closest():
    with pytest.raises(ValueError, match="closest: 'zero_based'"):
        build(warmup_convention='zero-based')


def test_abfs_train_and_teacher_levels_are_constants():
    loss = build()
    data = inputs(seed=2, grad=True)
    loss(**data, epoch=30).backward()
    assert all(p.grad is not None for p in loss.parameters())
    assert all(f.grad is not None for f in (*data['feats_s'], data['pooled_s']))
    assert all(f.grad is None for f in (*data['preact_feats_t'], data['pooled_t']))


def test_er_reviewkd_weights_every_squared_error_by_the_teacher_entropy():
    loss = MODELS.build(
        dict(
            type='EntropyReweightedLoss',
            loss=dict(type='ReviewKDLoss', **CHANNELS, loss_weight=2.0,
                      warmup_epochs=0))).double()
    loss.eval()
    data = inputs(seed=3)
    logits_t = torch.randn(2, 10, dtype=torch.float64) * 3
    value = loss(**data, logits_t=logits_t, epoch=0)

    # The reference: mean over all elements of (fs - ft)^2 * H_b, for the full maps and
    # each pooled level, weighted and normalised as HCL; p = softmax(z_t / 4).
    p = torch.softmax(logits_t / 4, dim=1)
    entropy = -(p * p.clamp(min=1e-10).log()).sum(dim=1).view(-1, 1, 1, 1)
    levels_t = [*data['preact_feats_t'], data['pooled_t'][:, :, None, None]]
    outputs = loss.loss.review([*data['feats_s'], data['pooled_s'][:, :, None, None]],
                               [tuple(t.shape[-2:]) for t in levels_t])
    expected = 0.0
    for f_s, f_t in zip(outputs, levels_t):
        level = ((f_s - f_t)**2 * entropy).mean()
        weight, total = 1.0, 1.0
        for size in (4, 2, 1):
            if size < f_s.shape[2]:
                weight /= 2
                pooled = torch.nn.functional.adaptive_avg_pool2d
                level = level + weight * (
                    (pooled(f_s, size) - pooled(f_t, size))**2 * entropy).mean()
                total += weight
        expected = expected + level / total
    torch.testing.assert_close(value, 2.0 * expected)

    # Uniform teacher predictions: every weight is ln C, i.e. ln C times ReviewKD.
    uniform = loss(**data, logits_t=torch.zeros(2, 10, dtype=torch.float64), epoch=0)
    plain = loss.loss(**data, epoch=0).mean()
    torch.testing.assert_close(uniform, math.log(10) * plain)


def test_mismatched_levels_are_explained():
    loss = build()
    data = inputs()
    wrong = dict(
        data,
        feats_s=(data['feats_s'][0], torch.randn(2, 20, 4, 4, dtype=torch.float64),
                 data['feats_s'][2]))
    with pytest.raises(ValueError) as error:
        loss(**wrong, epoch=0)
    for part in ('stage 1', '(2, 20, 4, 4)', '(2, 6, 8, 8)', 'abfs[1]',
                 'student_channels[1]=20'):
        assert part in str(error.value)
    with pytest.raises(ValueError, match='built for 4 student and 4 teacher stages'):
        loss(**dict(data, feats_s=data['feats_s'][1:]), epoch=0)
    with pytest.raises(ValueError, match='same levels'):
        build(student_channels=[8, 16], teacher_channels=[4, 6, 12])
