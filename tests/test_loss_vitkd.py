"""ViTKD: shapes, the token mask against a hand computation, gradients, extra tokens, and
a ClassificationDistiller step with two tiny MMPretrain ViTs tapped in the config."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.models.dis_losses.vitkd import ViTKDLoss

B, GRID, C_S, C_T = 2, 4, 8, 12
N = GRID * GRID


def tokens(channels, extra=1, batch=B, grad=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = tuple(
        torch.randn(batch, N + extra, channels, generator=gen, dtype=torch.float64)
        for _ in range(3))
    return tuple(t.requires_grad_(grad) for t in out)


def build(**kwargs):
    loss = ViTKDLoss(C_S, C_T, **kwargs).double()
    loss.generator = torch.Generator().manual_seed(3)
    return loss


def hand_vitkd(loss, tokens_s, tokens_t, extra_s=1, extra_t=1):
    """The original's steps written out: gather the kept tokens, append mask tokens,
    restore the order with the inverse permutation, reshape (B, h, w, D)."""
    gen = torch.Generator().manual_seed(3)
    low_s = [t[:, extra_s:] for t in tokens_s[:2]]
    low_t = [t[:, extra_t:] for t in tokens_t[:2]]
    aligned = [
        F.linear(x, layer.weight, layer.bias)
        for x, layer in zip(low_s, loss.align_mimic.layers)
    ]
    mimic = sum(((a - t)**2).sum() for a, t in zip(aligned, low_t)) / B * loss.alpha

    gen_mod = loss.generation
    x = F.linear(tokens_s[2][:, extra_s:], gen_mod.align.weight, gen_mod.align.bias)
    high_t = tokens_t[2][:, extra_t:]
    lam = loss.mask_ratio
    keep = int(N * (1 - lam))
    noise = torch.rand(B, N, generator=gen)
    shuffle = torch.argsort(noise, dim=1)
    restore = torch.argsort(shuffle, dim=1)
    kept = torch.gather(x, 1, shuffle[:, :keep, None].expand(-1, -1, C_T))
    mask = torch.ones(B, N, dtype=x.dtype)
    mask[:, :keep] = 0
    mask = torch.gather(mask, 1, restore)
    filled = torch.cat([kept, gen_mod.mask_token.expand(B, N - keep, C_T)], dim=1)
    x = torch.gather(filled, 1, restore[:, :, None].expand(-1, -1, C_T))
    x = x.reshape(B, GRID, GRID, C_T).permute(0, 3, 1, 2)
    x = gen_mod.generation(x).flatten(2).transpose(1, 2)
    gen_loss = ((x * mask[..., None] - high_t * mask[..., None])**2).sum() / B
    return mimic + gen_loss * loss.beta / lam, mask


def test_mask_with_fixed_generator_equals_hand_computation():
    loss = build()
    mask = loss.token_mask(B, N)
    _, expected_mask = hand_vitkd(loss, tokens(C_S), tokens(C_T, seed=1))
    torch.testing.assert_close(mask, expected_mask.float())
    assert mask.sum(1).tolist() == [N - int(N * 0.5)] * B


@pytest.mark.parametrize('extra', [(1, 1), (2, 1), (2, 2), (0, 1)])
def test_value_equals_hand_computation_and_extra_tokens(extra):
    extra_s, extra_t = extra
    loss = build(num_extra_tokens_s=extra_s, num_extra_tokens_t=extra_t)
    with torch.no_grad():  # a non-zero mask token, so that its use is checked
        loss.generation.mask_token.normal_()
    tokens_s, tokens_t = tokens(C_S, extra_s), tokens(C_T, extra_t, seed=1)
    value = loss(tokens_s=tokens_s, tokens_t=tokens_t)
    expected, _ = hand_vitkd(loss, tokens_s, tokens_t, extra_s, extra_t)
    assert value.shape == ()
    torch.testing.assert_close(value, expected)


def test_shapes_and_reductions():
    loss = build(reduction='none')
    per_sample = loss(tokens_s=tokens(C_S), tokens_t=tokens(C_T, seed=1))
    assert per_sample.shape == (B, )
    loss.generator = torch.Generator().manual_seed(3)
    loss.reduction = 'mean'
    torch.testing.assert_close(
        loss(tokens_s=tokens(C_S), tokens_t=tokens(C_T, seed=1)), per_sample.mean())
    gen = loss.generation(tokens(C_S)[2][:, 1:], loss.token_mask(B, N))
    assert gen.shape == (B, N, C_T)


def test_equal_widths_have_no_aligners():
    loss = ViTKDLoss(C_T, C_T)
    assert loss.align_mimic.layers is None and loss.generation.align is None
    names = {name for name, _ in loss.named_parameters()}
    assert names == {
        'generation.mask_token', 'generation.generation.0.weight',
        'generation.generation.0.bias', 'generation.generation.2.weight',
        'generation.generation.2.bias'
    }


def test_gradients_reach_student_and_connectors_not_teacher():
    loss = build()
    tokens_s = tokens(C_S, grad=True)
    tokens_t = tokens(C_T, seed=1, grad=True)
    loss(tokens_s=tokens_s, tokens_t=tokens_t).backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in tokens_s)
    assert all(t.grad is None for t in tokens_t)
    for name, param in loss.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    # the class token takes no part
    assert tokens_s[0].grad[:, 0].abs().sum() == 0


def test_errors_name_the_fix():
    loss = build()
    with pytest.raises(ValueError, match='expected 3 tapped token tensors'):
        loss(tokens_s=tokens(C_S)[:2], tokens_t=tokens(C_T))
    with pytest.raises(ValueError, match='num_extra_tokens_s'):
        loss(tokens_s=tokens(C_S, extra=2), tokens_t=tokens(C_T))
    with pytest.raises(ValueError, match='student_channels=12'):
        loss(tokens_s=tokens(C_T), tokens_t=tokens(C_T))


def tiny_vit(embed_dims,
             num_heads,
             backbone='VisionTransformer',
             head='VisionTransformerClsHead'):
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type=backbone,
            arch=dict(
                embed_dims=embed_dims,
                num_layers=3,
                num_heads=num_heads,
                feedforward_channels=2 * embed_dims),
            img_size=32,
            patch_size=8,
            out_type='cls_token'),
        head=dict(type=head, num_classes=5, in_channels=embed_dims))


TAPS = ['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']


@pytest.mark.parametrize('distilled_student', [False, True])
def test_distiller_step_with_tapped_vits(distilled_student):
    torch.manual_seed(0)
    student = (
        tiny_vit(16, 2, 'DistilledVisionTransformer', 'DeiTDistillHead')
        if distilled_student else tiny_vit(16, 2))
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=student,
            teacher=tiny_vit(32, 4),
            distill_losses=dict(
                loss_vitkd=dict(
                    type='ViTKDLoss',
                    student_channels=16,
                    teacher_channels=32,
                    num_extra_tokens_s=2 if distilled_student else 1,
                    num_extra_tokens_t=1)),
            student_taps=dict(tokens=TAPS),
            teacher_taps=dict(tokens=TAPS)))
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in (1, 3)]
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_cls', 'loss_vitkd'}
    assert losses['loss_vitkd'] > 0
    sum(losses.values()).backward()
    loss_params = dict(model.distill_losses.named_parameters())
    assert {n.split('.')[1] for n in loss_params} == {'align_mimic', 'generation'}
    assert all(p.grad is not None for p in loss_params.values())
    for path in ('layers.0', 'layers.1', 'layers.2'):
        block = model.student.backbone.get_submodule(path)
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in block.parameters()), path
    assert all(p.grad is None for p in model.teacher.parameters())
