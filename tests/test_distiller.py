"""ClassificationDistiller: what a user relies on when building and training one."""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

NUM_CLASSES = 5


def classifier(width: int, num_classes: int = NUM_CLASSES) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            stem_channels=width,
            base_channels=width,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=8 * width))


def distiller(**overrides) -> nn.Module:
    cfg = dict(
        type='ClassificationDistiller',
        student=classifier(4),
        teacher=classifier(8),
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
        student_loss_weight=0.1)
    cfg.update(overrides)
    return MODELS.build(cfg)


def batch(size: int = 4):
    torch.manual_seed(0)
    inputs = torch.randn(size, 3, 16, 16)
    samples = [
        DataSample(metainfo=dict(sample_idx=10 + i)).set_gt_label(i % NUM_CLASSES)
        for i in range(size)
    ]
    return inputs, samples


@MODELS.register_module(force=True)
class RecordingLoss(nn.Module):
    """Test double: records what the distiller passes, returns a differentiable zero."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = {}

    def forward(self, logits_s: Tensor, feats_s: tuple, feats_t: tuple, pooled_s: Tensor,
                target: Tensor, epoch: int, sample_idx: Tensor) -> Tensor:
        self.seen = dict(
            logits_s=logits_s,
            feats_s=feats_s,
            feats_t=feats_t,
            pooled_s=pooled_s,
            target=target,
            epoch=epoch,
            sample_idx=sample_idx)
        return logits_s.sum() * 0


@MODELS.register_module(force=True)
class StudentOnlyLoss(nn.Module):

    def forward(self, logits_s: Tensor, target: Tensor) -> Tensor:
        return logits_s.square().mean()


def test_teacher_frozen_in_eval_and_without_gradients():
    model = distiller()
    model.train()
    assert model.student.training and not model.teacher.training
    assert not any(m.training for m in model.teacher.modules())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    losses = model(*batch(), mode='loss')
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None for p in model.student.parameters())


def test_loss_dict_and_student_loss_weight():
    model = distiller(student_loss_weight=0.1)
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_kd'}
    own = model.student(inputs, samples, mode='loss')['loss']
    torch.testing.assert_close(losses['loss_cls'], 0.1 * own)
    with torch.no_grad():
        expected_kd = MODELS.build(dict(type='KDLoss', temperature=4.0, loss_weight=0.9))(
            logits_s=model.student(inputs), logits_t=model.teacher(inputs))
    torch.testing.assert_close(losses['loss_kd'].detach(), expected_kd)


def test_predict_and_tensor_modes_are_the_student():
    model = distiller().eval()
    inputs, samples = batch()
    torch.testing.assert_close(model(inputs), model.student(inputs))
    predicted = model(inputs, copy.deepcopy(samples), mode='predict')
    reference = model.student(inputs, copy.deepcopy(samples), mode='predict')
    for ours, theirs in zip(predicted, reference):
        torch.testing.assert_close(ours.pred_score, theirs.pred_score)


def test_teacher_not_in_checkpoints_and_no_missing_key_noise():
    model = distiller()
    state = model.state_dict()
    assert state and not any(key.startswith('teacher.') for key in state)
    result = distiller().load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    with_teacher = distiller(teacher_in_checkpoint=True).state_dict()
    assert any(key.startswith('teacher.') for key in with_teacher)


def test_vocabulary_inputs_and_taps():
    model = distiller(
        distill_losses=dict(loss_probe=dict(type='RecordingLoss')),
        student_taps=dict(feats=['backbone.layer2', 'backbone.layer3']),
        teacher_taps=dict(feats='backbone'))
    inputs, samples = batch()
    message_hub = MessageHub.get_current_instance()
    message_hub.update_info('epoch', 7)
    try:
        model(inputs, samples, mode='loss')
    finally:
        message_hub.update_info('epoch', 0)
    seen = model.distill_losses['loss_probe'].seen
    assert seen['epoch'] == 7
    assert seen['target'].tolist() == [0, 1, 2, 3]
    assert seen['sample_idx'].tolist() == [10, 11, 12, 13]
    assert [f.shape[1] for f in seen['feats_s']] == [8, 16]
    # A single tap on a module returning a tuple gives that tuple (out_indices=(3,)).
    assert len(seen['feats_t']) == 1 and seen['feats_t'][0].shape[1] == 64
    # pooled = the input of the student's linear classifier = pooled last stage.
    with torch.no_grad():
        pooled = model.student.extract_feat(inputs)[-1]
    torch.testing.assert_close(seen['pooled_s'].detach(), pooled)
    torch.testing.assert_close(seen['logits_s'].detach(), model.student.head.fc(pooled))


def test_only_requested_models_run():
    model = distiller(distill_losses=dict(loss_reg=dict(type='StudentOnlyLoss')))
    calls = []
    model.teacher.register_forward_hook(lambda *args: calls.append(1))
    model(*batch(), mode='loss')
    assert calls == [], 'no loss needs the teacher, so it must not run'
    self_distiller = distiller(
        teacher=None, distill_losses=dict(loss_reg=dict(type='StudentOnlyLoss')))
    assert set(self_distiller(*batch(), mode='loss')) == {'loss_cls', 'loss_reg'}


def test_batch_augments_from_the_student_config_reach_the_distiller():
    student = classifier(4)
    student['train_cfg'] = dict(augments=dict(type='Mixup', alpha=1.0))
    model = distiller(student=student, data_preprocessor=dict(num_classes=NUM_CLASSES))
    assert model.data_preprocessor.batch_augments is not None
    inputs, samples = batch()
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), True)
    assert data['data_samples'][0].gt_score.shape == (NUM_CLASSES, )


@pytest.mark.parametrize('overrides, error, words', [
    (dict(distill_losses=dict(kd=dict(type='KDLoss'))), ValueError, ['must start with']),
    (dict(distill_losses=dict(loss_x=dict(type='NoSuchLoss'))), KeyError, ['KDLoss']),
    (dict(teacher=None), ValueError, ['need teacher outputs', 'loss_kd']),
    (dict(student_taps=dict(feats=['backbone.layer9'])), ValueError,
     ['backbone.layer9', 'backbone.layer1']),
    (dict(distill_losses=dict(loss_probe=dict(type='RecordingLoss'))), ValueError,
     ["student_taps=dict(feats="]),
])
def test_configuration_errors_are_actionable(overrides, error, words):
    with pytest.raises(error) as info:
        distiller(**overrides)
    for word in words:
        assert word in str(info.value)


def test_unknown_vocabulary_name_lists_the_vocabulary():

    class Typo(nn.Module):

        def forward(self, logit_s, logits_t):
            return logits_t.sum()

    with pytest.raises(ValueError) as info:
        distiller(distill_losses=dict(loss_typo=Typo()))
    assert "'logit_s'" in str(info.value) and 'logits_s' in str(info.value)


@pytest.mark.parametrize('prefix', ['', 'module.', 'student.'])
def test_teacher_checkpoint_loads_with_wrapper_prefixes(tmp_path, prefix):
    source = MODELS.build(classifier(8))
    path = tmp_path / 'teacher.pth'
    torch.save(
        {
            'state_dict': {
                prefix + k: v
                for k, v in source.state_dict().items()
            },
            'meta': {
                'epoch': 3
            }
        }, path)
    model = distiller(teacher_ckpt=str(path))
    model.init_weights()
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.teacher.state_dict()[key], value)
    assert not model.teacher.training and model.student.training


def test_teacher_checkpoint_of_another_architecture_names_the_keys(tmp_path):
    path = tmp_path / 'wrong.pth'
    torch.save({'state_dict': MODELS.build(classifier(8, num_classes=7)).state_dict()},
               path)
    model = distiller(teacher_ckpt=str(path))
    with pytest.raises(ValueError) as info:
        model.init_weights()
    assert 'head.fc.weight: checkpoint (7, 64) vs model (5, 64)' in str(info.value)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        distiller(teacher_ckpt=str(tmp_path / 'missing.pth')).init_weights()


def test_teacher_from_a_config_file(tmp_path):
    config = tmp_path / 'teacher.py'
    config.write_text(f'model = {classifier(8)!r}\n')
    model = distiller(teacher=str(config))
    assert model.teacher.head.fc.in_features == 64
    packaged = distiller(
        teacher='mmpretrain::resnet/resnet18_8xb16_cifar10.py',
        student=classifier(4, num_classes=10))
    assert type(packaged.teacher.backbone).__name__ == 'ResNet_CIFAR'


@MODELS.register_module(force=True)
class ClassifierProbeLoss(nn.Module):
    """Test double: student pooled features through the teacher's frozen classifier."""

    def forward(self, pooled_s: Tensor, classifier_t: nn.Module,
                logits_t: Tensor) -> Tensor:
        self.classifier_t = classifier_t
        return (classifier_t(pooled_s[:, :1].repeat(1, 64)) - logits_t).square().mean()


def test_module_taps_give_the_teacher_classifier():
    model = distiller(distill_losses=dict(loss_probe=dict(type='ClassifierProbeLoss')))
    losses = model(*batch(), mode='loss')
    assert model.distill_losses['loss_probe'].classifier_t is model.teacher.head.fc
    losses['loss_probe'].backward()
    assert model.teacher.head.fc.weight.grad is None


def test_docs_list_the_whole_vocabulary():
    from pathlib import Path

    from kd_plugin.utils.vocabulary import BATCH_INPUTS, VIEWS, vocabulary
    doc = (Path(__file__).parent.parent / 'docs' / 'loss_api.md').read_text()
    foreign = {
        name
        for name, entry in [*BATCH_INPUTS.items(), *VIEWS.items()]
        if not entry.provider.startswith('kd_plugin.')
    }  # e.g. tests' own
    names = [name for name in vocabulary() if not any(f in name for f in foreign)]
    assert [name for name in names if f'`{name}`' not in doc] == []


def test_teacher_norm_train_keeps_only_batchnorm_in_train_mode():
    model = distiller(teacher_norm_train=True)
    model.train()
    norms = [m for m in model.teacher.modules() if isinstance(m, nn.BatchNorm2d)]
    others = [m for m in model.teacher.modules() if not isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.training for m in norms)
    assert not any(m.training for m in others)
    before = norms[0].running_mean.clone()
    model(*batch(), mode='loss')
    assert not torch.equal(before, norms[0].running_mean), 'statistics update as OFD'
    assert any(k.startswith('teacher.') for k in model.state_dict())
    model.eval()
    assert not any(m.training for m in model.teacher.modules())


def test_timm_student_checkpoints_round_trip():
    """TimmClassifier renames its keys with a hook that torch ignores when nested."""
    timm_student = dict(
        type='TimmClassifier',
        model_name='resnet18',
        num_classes=NUM_CLASSES,
        pretrained=False)
    model = distiller(student=timm_student)
    state = model.state_dict()
    assert 'student.conv1.weight' in state, 'timm-native keys, as TimmClassifier saves'
    fresh = distiller(student=timm_student)
    fresh.load_state_dict(state, strict=True)
    torch.testing.assert_close(fresh.student.model.conv1.weight,
                               model.student.model.conv1.weight)


def test_docs_list_every_registered_loss():
    from pathlib import Path

    from kd_plugin.models import dis_losses
    doc = (Path(__file__).parent.parent / 'docs' / 'loss_api.md').read_text()
    names = [name for name in dis_losses.__all__ if name[0].isupper()]
    assert [name for name in names if f'`{name}`' not in doc] == []


def test_teacher_and_student_class_counts_must_match():
    with pytest.raises(ValueError, match='student predicts 5 classes and the teacher 7'):
        distiller(teacher=classifier(8, num_classes=7))
