"""SD-DKD and SD-NKD (SDD with DKD / NKD region losses) and SDDLoss's region_loss."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from test_distiller import classifier

from kd_plugin.models.dis_losses import (
    DKDLoss,
    NKDLoss,
    SDDDKDLoss,
    SDDKDLoss,
    SDDLoss,
    SDDNKDLoss,
    spp_region_logits,
)


def random_logits(batch=6, classes=7, regions=1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, classes, regions)
    logits_s = (3 * torch.randn(shape, generator=generator, dtype=torch.float64))
    logits_t = 3 * torch.randn(shape, generator=generator, dtype=torch.float64)
    target = torch.randint(
        classes, (batch, ), generator=generator)
    return logits_s.requires_grad_(), logits_t, target


@pytest.mark.parametrize('epoch', [0, 4, 30])
def test_sd_dkd_with_one_region_is_dkd(epoch):
    region_s, region_t, target = random_logits()
    settings = dict(
        alpha=1.5, beta=6.0, temperature=3.0, warmup_epochs=10, loss_weight=0.7)
    loss = SDDDKDLoss(**settings)(
        region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=epoch)
    expected = DKDLoss(**settings)(
        logits_s=region_s[:, :, 0],
        logits_t=region_t[:, :, 0],
        target=target,
        epoch=epoch)
    torch.testing.assert_close(loss, expected)
    grad, = torch.autograd.grad(loss, region_s)
    expected_grad, = torch.autograd.grad(expected, region_s)
    torch.testing.assert_close(grad, expected_grad)


def test_sd_nkd_fixed_mask_with_one_region_is_nkd():
    region_s, region_t, target = random_logits(seed=1)
    loss = SDDNKDLoss(
        temperature=4.0,
        gamma=6.0,
        warmup_epochs=0,
        match_reference=False,
        loss_weight=0.5)(
            region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=0)
    expected = NKDLoss(
        temperature=4.0, gamma=6.0, loss_weight=0.5)(
            logits_s=region_s[:, :, 0], logits_t=region_t[:, :, 0], target=target)
    torch.testing.assert_close(loss, expected)


def test_sd_nkd_reference_mask_includes_the_label_class():
    """The all-ones mask: the non-target part is the full-softmax cross-entropy."""
    region_s, region_t, target = random_logits(seed=2)
    temperature, gamma = 4.0, 8.0
    loss = SDDNKDLoss(
        temperature=temperature, gamma=gamma, warmup_epochs=20, match_reference=True)(
            region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=9)
    z_s, z_t = region_s[:, :, 0], region_t[:, :, 0]
    rows = torch.arange(len(target))
    target_part = -(F.softmax(z_t, 1)[rows, target] * F.log_softmax(z_s, 1)[rows, target])
    full = -(F.softmax(z_t / temperature, 1) *
             F.log_softmax(z_s / temperature, 1)).sum(1) * gamma * temperature**2
    expected = 0.5 * (target_part + full).mean()  # warm-up (9 + 1) / 20
    torch.testing.assert_close(loss, expected)
    fixed = SDDNKDLoss(
        temperature=temperature, gamma=gamma, warmup_epochs=20, match_reference=False)(
            region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=9)
    assert not torch.isclose(loss, fixed)


def hand_example():
    """B = 2, C = 3, N = 2. Sample 0 (label 0): teacher right globally, wrong on
    region 1 (complementary, weight 2). Sample 1 (label 2): teacher wrong on both
    regions (consistent, weight 1)."""
    region_t = torch.tensor(
        [[[3.0, 0.0], [0.0, 2.0], [1.0, 1.0]], [[0.0, 2.0], [3.0, 0.0], [1.0, 1.0]]],
        dtype=torch.float64)
    region_s = torch.tensor(
        [[[1.0, 0.5], [0.2, -1.0], [0.3, 2.0]], [[-0.5, 0.1], [1.5, 0.7], [0.4, -0.2]]],
        dtype=torch.float64)
    return region_s, region_t, torch.tensor([0, 2])


@pytest.mark.parametrize('variant', ['dkd', 'nkd', 'nkd_fixed'])
def test_complementary_regions_weigh_twice(variant):
    region_s, region_t, target = hand_example()
    if variant == 'dkd':
        loss_fn = SDDDKDLoss(beta=8.0, warmup_epochs=0)
        row_fn = DKDLoss(beta=8.0, warmup_epochs=0, reduction='none')
        rows = {
            (i, r):
            row_fn(
                logits_s=region_s[i:i + 1, :, r],
                logits_t=region_t[i:i + 1, :, r],
                target=target[i:i + 1],
                epoch=0)[0]
            for i in range(2)
            for r in range(2)
        }
    else:
        fixed = variant == 'nkd_fixed'
        loss_fn = SDDNKDLoss(gamma=8.0, warmup_epochs=0, match_reference=not fixed)
        rows = {
            (i, r):
            loss_fn.row_terms(region_s[i:i + 1, :, r], region_t[i:i + 1, :, r],
                              target[i:i + 1])[0]
            for i in range(2)
            for r in range(2)
        }
    loss = loss_fn(
        region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=0)
    # weights: (0, 0) 1, (0, 1) 2 (complementary), (1, 0) 1, (1, 1) 1; / (N * B) = 4
    expected = (rows[0, 0] + 2 * rows[0, 1] + rows[1, 0] + rows[1, 1]) / 4
    torch.testing.assert_close(loss, expected)
    per_sample = type(loss_fn)(**{
        **vars_of(loss_fn), 'reduction': 'none'
    })(region_logits_s=region_s, region_logits_t=region_t, target=target, epoch=0)
    torch.testing.assert_close(
        per_sample,
        torch.stack([(rows[0, 0] + 2 * rows[0, 1]) / 2, (rows[1, 0] + rows[1, 1]) / 2]))


def vars_of(loss_fn):
    names = [
        'alpha', 'beta', 'temperature', 'warmup_epochs', 'complementary_weight',
        'loss_weight', 'gamma', 'match_reference'
    ]
    return {n: getattr(loss_fn, n) for n in names if hasattr(loss_fn, n)}


def test_sdd_loss_region_loss_config_and_backward_compatibility():
    init_default_scope('mmpretrain')
    default = SDDLoss(levels=(1, 2), temperature=3.0, loss_weight=0.9)
    assert isinstance(default.region_loss, SDDKDLoss)
    assert (default.region_loss.temperature, default.region_loss.loss_weight) == (3.0,
                                                                                  0.9)
    assert not default.region_loss_takes_epoch
    plain = SDDLoss()
    assert (plain.region_loss.temperature, plain.region_loss.complementary_weight,
            plain.region_loss.loss_weight) == (4.0, 2.0, 1.0)
    dkd = SDDLoss(region_loss=dict(type='SDDDKDLoss', beta=6.0))
    assert isinstance(dkd.region_loss, SDDDKDLoss) and dkd.region_loss_takes_epoch
    with pytest.raises(ValueError, match='region_loss'):
        SDDLoss(temperature=4.0, region_loss=dict(type='SDDDKDLoss'))


@pytest.mark.parametrize('region_loss', [
    dict(type='SDDDKDLoss', alpha=1.0, beta=6.0, temperature=4.0, warmup_epochs=20),
    dict(
        type='SDDNKDLoss',
        temperature=4.0,
        gamma=6.0,
        warmup_epochs=20,
        match_reference=True),
])
def test_sdd_loss_with_region_loss_in_a_distiller(region_loss):
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=classifier(4),
            teacher=classifier(8),
            distill_losses=dict(
                loss_sdd=dict(type='SDDLoss', levels=(1, 2), region_loss=region_loss))))
    torch.manual_seed(0)
    inputs = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    hub = MessageHub.get_current_instance()
    previous = hub.get_info('epoch')
    hub.update_info('epoch', 4)  # 0-based: warm-up factor 5 / 20
    try:
        loss = model(inputs, samples, mode='loss')['loss_sdd']
    finally:
        hub.update_info('epoch', previous or 0)

    with torch.no_grad():
        regions = [
            spp_region_logits(
                m.extract_feat(inputs, stage='backbone')[-1], m.head.fc.weight,
                m.head.fc.bias, (1, 2)) for m in (model.student, model.teacher)
        ]
        expected = MODELS.build(region_loss)(
            region_logits_s=regions[0],
            region_logits_t=regions[1],
            target=torch.arange(4),
            epoch=4)
        at_full = MODELS.build(region_loss)(
            region_logits_s=regions[0],
            region_logits_t=regions[1],
            target=torch.arange(4),
            epoch=19)
    torch.testing.assert_close(loss.detach(), expected)
    torch.testing.assert_close(expected, at_full * 0.25)
    loss.backward()
    assert model.student.head.fc.weight.grad is not None
    assert model.teacher.head.fc.weight.grad is None
