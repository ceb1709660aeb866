"""SRRL: shapes, the two terms by hand through the teacher's frozen classifier, which
side trains, and errors for mismatched channels."""
import pytest
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS


def build(**kwargs):
    return MODELS.build(dict(type='SRRLLoss', **kwargs)).double()


def teacher_classifier(in_features=6, num_classes=5):
    classifier = nn.Linear(in_features, num_classes).double()
    return classifier.requires_grad_(False)


def inputs(seed=0, grad=False, student_channels=4, teacher_channels=6):
    generator = torch.Generator().manual_seed(seed)

    def randn(*shape):
        value = torch.randn(*shape, generator=generator, dtype=torch.float64)
        return value.requires_grad_(grad)

    return dict(
        feats_s=(randn(3, student_channels, 4, 4), ),
        pooled_t=randn(3, teacher_channels),
        logits_t=randn(3, 5))


def test_connector_maps_the_student_map_to_the_teacher_classifier_input():
    loss = build(student_channels=4, teacher_channels=6)
    connector = loss.connector
    assert connector.conv.kernel_size == (1, 1) and connector.conv.bias is None
    assert connector.relu is not None
    out = connector(inputs()['feats_s'][0])
    assert out.shape == (3, 6, 4, 4) and (out >= 0).all()


def test_feature_matching_and_softmax_regression_by_hand():
    loss = build(
        student_channels=4,
        teacher_channels=6,
        fm_weight=1.0,
        sr_weight=5.0,
        loss_weight=2.0)
    loss.train()
    classifier = teacher_classifier()
    data = inputs(seed=1)
    value = loss(**data, classifier_t=classifier)

    # conv1x1 (no bias), BN with batch statistics, ReLU, then the channel means.
    conv, bn = loss.connector.conv, loss.connector.bn
    out = torch.einsum('bchw,oc->bohw', data['feats_s'][0], conv.weight[:, :, 0, 0])
    mean = out.mean(dim=(0, 2, 3), keepdim=True)
    var = out.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    out = ((out - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(1, -1, 1, 1) +
           bn.bias.view(1, -1, 1, 1)).relu()
    pooled = out.mean(dim=(2, 3))
    fm = (pooled - data['pooled_t']).pow(2).mean()
    logits = pooled @ classifier.weight.t() + classifier.bias
    sr = (logits - data['logits_t']).pow(2).mean()
    torch.testing.assert_close(value, 2.0 * (fm + 5.0 * sr))


def test_connector_and_student_train_through_the_frozen_classifier():
    loss = build(student_channels=4, teacher_channels=6, fm_weight=0.0)
    classifier = teacher_classifier()
    data = inputs(seed=2, grad=True)
    loss(**data, classifier_t=classifier).backward()  # softmax regression only
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in loss.parameters())
    assert data['feats_s'][0].grad.abs().sum() > 0
    assert classifier.weight.grad is None and classifier.bias.grad is None
    assert data['pooled_t'].grad is None and data['logits_t'].grad is None


def test_only_the_last_student_map_is_used():
    loss = build(student_channels=4, teacher_channels=6)
    loss.eval()
    data = inputs(seed=3)
    classifier = teacher_classifier()
    earlier = torch.randn(3, 2, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(
        loss(**dict(data, feats_s=(earlier, *data['feats_s'])), classifier_t=classifier),
        loss(**data, classifier_t=classifier))


def test_mismatched_channels_are_explained():
    loss = build(student_channels=4, teacher_channels=6)
    with pytest.raises(ValueError) as error:
        loss(**inputs(student_channels=5), classifier_t=teacher_classifier())
    for part in ('(3, 5, 4, 4)', '(3, 6)', 'connector', 'student_channels=5'):
        assert part in str(error.value)
    with pytest.raises(ValueError, match="teacher_channels=8 .the input width of"):
        loss(**inputs(teacher_channels=8), classifier_t=teacher_classifier(8))
