"""DeiTDistillHead + DeiTDistillTokenLoss: training trains the class token with the labels
and the distillation token with the teacher; prediction averages both heads."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from kd_plugin.models.heads import DeiTDistillTokenLoss

NUM_CLASSES = 5


def tiny(backbone, head, dims=16, heads=2):
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type=backbone,
            arch=dict(
                embed_dims=dims,
                num_layers=2,
                num_heads=heads,
                feedforward_channels=2 * dims),
            img_size=32,
            patch_size=8,
            out_type='cls_token'),
        head=dict(
            type=head,
            num_classes=NUM_CLASSES,
            in_channels=dims,
            loss=dict(type='CrossEntropyLoss')))


def build(mode, **loss_kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=tiny('DistilledVisionTransformer', 'DeiTDistillHead'),
            teacher=tiny('VisionTransformer', 'VisionTransformerClsHead', 24, 2),
            distill_losses=dict(
                loss_deit=dict(
                    type='DeiTDistillTokenLoss',
                    mode=mode,
                    loss_weight=0.5,
                    **loss_kwargs)),
            student_loss_weight=0.5,
            student_taps=dict(dist_logits='head.layers.head_dist')))


def hand_logits(model, inputs):
    cls_token, dist_token = model.student.backbone(inputs)[-1]
    head = model.student.head
    return head.layers.head(cls_token), head.layers.head_dist(dist_token)


@pytest.mark.parametrize('mode', ['hard', 'soft'])
def test_training_loss_is_ce_on_cls_plus_token_loss(mode):
    model = build(mode, temperature=2.0)
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    labels = torch.tensor([1, 4])
    samples = [DataSample().set_gt_label(int(i)) for i in labels]
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no "cannot train" warning of DeiTClsHead
        losses = model.loss(inputs, samples)
    cls_logits, dist_logits = hand_logits(model, inputs)
    with torch.no_grad():
        teacher = model.teacher(inputs, mode='tensor')
    torch.testing.assert_close(losses['loss_cls'],
                               0.5 * F.cross_entropy(cls_logits, labels))
    if mode == 'hard':
        expected = 0.5 * F.cross_entropy(dist_logits, teacher.argmax(1))
    else:
        p_t = F.softmax(teacher / 2, 1)
        kl = (p_t * (p_t.log() - F.log_softmax(dist_logits / 2, 1))).sum()
        expected = 0.5 * kl * 4 / dist_logits.numel()
    torch.testing.assert_close(losses['loss_deit'], expected)

    # the class token's CE does not train head_dist; the token loss does not train head
    model.zero_grad()
    losses['loss_cls'].backward(retain_graph=True)
    assert model.student.head.layers.head_dist.weight.grad is None
    model.zero_grad()
    losses['loss_deit'].backward()
    assert model.student.head.layers.head.weight.grad is None
    assert model.student.head.layers.head_dist.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())


def test_predict_averages_both_heads():
    model = build('hard')
    model.eval()
    inputs = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        cls_logits, dist_logits = hand_logits(model, inputs)
        scores = model(inputs, mode='tensor')
        predictions = model(inputs, [DataSample() for _ in range(3)], mode='predict')
    torch.testing.assert_close(scores, (cls_logits + dist_logits) / 2)
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in predictions]),
        F.softmax((cls_logits + dist_logits) / 2, 1))


def test_soft_mode_paper_normalisation():
    gen = torch.Generator().manual_seed(0)
    s, t = torch.randn(4, 7, generator=gen), torch.randn(4, 7, generator=gen)
    reference = DeiTDistillTokenLoss('soft', temperature=3.0, loss_weight=1.0)
    paper = DeiTDistillTokenLoss(
        'soft', temperature=3.0, loss_weight=1.0, match_reference=False)
    expected = F.kl_div(
        F.log_softmax(s / 3, 1), F.softmax(t / 3, 1), reduction='batchmean') * 9
    torch.testing.assert_close(paper(dist_logits_s=s, logits_t=t), expected)
    torch.testing.assert_close(reference(dist_logits_s=s, logits_t=t), expected / 7)
    hard = DeiTDistillTokenLoss('hard', loss_weight=1.0)
    torch.testing.assert_close(
        hard(dist_logits_s=s, logits_t=t), F.cross_entropy(s, t.argmax(1)))
    with pytest.raises(ValueError, match="'hard' or 'soft'"):
        DeiTDistillTokenLoss('medium')


def test_checkpoint_keys_match_mmpretrain_deit_head():
    head = MODELS.build(dict(type='DeiTDistillHead', num_classes=3, in_channels=8))
    stock = MODELS.build(dict(type='DeiTClsHead', num_classes=3, in_channels=8))
    assert head.state_dict().keys() == stock.state_dict().keys()
