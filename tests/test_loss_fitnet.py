"""FitNet: the regressor's shapes (ConvReg's spatial rule), the hint MSE by hand, which
side trains, and the errors for mismatched channels or sizes."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='FitNetLoss', **kwargs)).double()


def maps(*shapes, seed=0, grad=False):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(*shape, generator=generator, dtype=torch.float64).requires_grad_(grad)
        for shape in shapes)


def hw(size):
    """(H, W) of a size kwarg; ``None`` (equal sizes) is tested at 8x8."""
    if size is None:
        return (8, 8)
    return (size, size) if isinstance(size, int) else size


def stages(hint, stage=2):
    """A feats tuple whose entry ``stage`` is ``hint`` (the others are never read)."""
    filler = torch.zeros(1)
    return tuple(hint if i == stage else filler for i in range(stage + 1))


@pytest.mark.parametrize('size_s, size_t, conv_type, kernel, stride', [
    (None, None, nn.Conv2d, (1, 1), (1, 1)),
    (16, 8, nn.Conv2d, (3, 3), (2, 2)),
    (8, 16, nn.ConvTranspose2d, (4, 4), (2, 2)),
    (10, 8, nn.Conv2d, (3, 3), (1, 1)),
    ((8, 6), (6, 5), nn.Conv2d, (3, 2), (1, 1)),
])
def test_regressor_maps_the_student_map_onto_the_teacher_shape(size_s, size_t, conv_type,
                                                               kernel, stride):
    loss = build(
        student_channels=12,
        teacher_channels=20,
        student_size=size_s,
        teacher_size=size_t)
    conv = loss.regressor.conv
    assert type(conv) is conv_type
    assert conv.kernel_size == kernel and conv.stride == stride
    assert conv.bias is not None and loss.regressor.relu is not None
    feat_s, feat_t = maps((3, 12, *hw(size_s)), (3, 20, *hw(size_t)))
    assert loss.regressor(feat_s).shape == feat_t.shape
    assert loss(feats_s=stages(feat_s), feats_t=stages(feat_t)).item() > 0


def test_no_regressor_for_sizes_that_do_not_fit():
    with pytest.raises(ValueError, match='8x8 student map onto a 12x12 teacher map'):
        build(student_channels=4, teacher_channels=4, student_size=8, teacher_size=12)


def test_hint_loss_is_the_mse_of_conv_bn_relu():
    loss = build(student_channels=6, teacher_channels=5, loss_weight=100.0)
    loss.train()
    feat_s, feat_t = maps((4, 6, 4, 4), (4, 5, 4, 4), seed=1)
    conv, bn = loss.regressor.conv, loss.regressor.bn
    # Conv (with bias), BN with the batch statistics, ReLU; mean over every element.
    out = F.conv2d(feat_s, conv.weight, conv.bias)
    mean = out.mean(dim=(0, 2, 3), keepdim=True)
    var = out.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    out = (out - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(1, -1, 1, 1) \
        + bn.bias.view(1, -1, 1, 1)
    expected = 100.0 * (out.relu() - feat_t).pow(2).mean()
    value = loss(feats_s=stages(feat_s), feats_t=stages(feat_t))
    torch.testing.assert_close(value, expected)


def test_hint_stage_selects_the_same_index_on_both_sides():
    loss = build(student_channels=3, teacher_channels=3, hint_stage=1)
    feat_s, feat_t, other = maps((2, 3, 4, 4), (2, 3, 4, 4), (2, 7, 2, 2), seed=2)
    value = loss(feats_s=(other, feat_s, other), feats_t=(other, feat_t))
    torch.testing.assert_close(value,
                               loss(feats_s=stages(feat_s, 1), feats_t=stages(feat_t, 1)))


def test_regressor_trains_and_the_teacher_map_is_a_constant():
    loss = build(student_channels=8, teacher_channels=4, student_size=8, teacher_size=4)
    feat_s, feat_t = maps((2, 8, 8, 8), (2, 4, 4, 4), seed=3, grad=True)
    loss(feats_s=stages(feat_s), feats_t=stages(feat_t)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loss.parameters())
    assert feat_s.grad is not None and feat_t.grad is None


def test_mismatched_channels_name_stage_shapes_and_kwargs():
    loss = build(student_channels=128, teacher_channels=64)
    feat_s, feat_t = maps((2, 96, 8, 8), (2, 64, 8, 8))
    with pytest.raises(ValueError) as error:
        loss(feats_s=stages(feat_s), feats_t=stages(feat_t))
    message = str(error.value)
    for part in ('hint stage 2', '(2, 96, 8, 8)', '(2, 64, 8, 8)', 'regressor',
                 'student_channels=96', 'teacher_channels=64'):
        assert part in message


def test_unexpected_sizes_and_missing_stage_say_what_to_set():
    loss = build(student_channels=4, teacher_channels=4)
    feat_s, feat_t = maps((2, 4, 8, 8), (2, 4, 4, 4))
    sizes = r'student_size=\(8, 8\) and teacher_size=\(4, 4\)'
    with pytest.raises(ValueError, match=sizes):
        loss(feats_s=stages(feat_s), feats_t=stages(feat_t))
    with pytest.raises(ValueError, match='hint_stage=2, but the teacher gives 2 stage'):
        loss(feats_s=stages(feat_s), feats_t=(feat_t, feat_t))
