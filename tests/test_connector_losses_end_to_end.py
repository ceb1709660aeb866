"""Losses with trainable connectors inside a ClassificationDistiller of two CIFAR zoo
models: built with the distiller, trained by one loss step, saved with the student."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / 'configs' / '_base_' / 'models' / 'cifar'
STAGES = ('backbone.layer1', 'backbone.layer2', 'backbone.layer3')
# resnet8 (teacher, one block per stage: 16/32/64 channels) -> resnet8x4 (64/128/256).
STUDENT_FEATS = dict(feats=list(STAGES))
TEACHER_FEATS = dict(feats=list(STAGES))
STUDENT_PREACT = dict(preact_feats=[f'{s}.0.relu_out:input' for s in STAGES])
TEACHER_PREACT = dict(
    preact_feats=[f'{s}.0.relu_out:input' for s in STAGES],
    preact_bn=[f'{s}.0.bn2:module' for s in STAGES])

REVIEW_CHANNELS = dict(
    student_channels=[64, 128, 256, 256], teacher_channels=[16, 32, 64, 64])
CASES = {
    'fitnet': (dict(type='FitNetLoss', student_channels=128,
                    teacher_channels=32), {}, {}),
    'vid':
    (dict(type='VIDLoss', student_channels=[64, 128, 256],
          teacher_channels=[16, 32, 64]), STUDENT_FEATS, TEACHER_FEATS),
    'ofd':
    (dict(type='OFDLoss', student_channels=[64, 128, 256],
          teacher_channels=[16, 32, 64]), STUDENT_PREACT, TEACHER_PREACT),
    'reviewkd': (dict(type='ReviewKDLoss', **REVIEW_CHANNELS,
                      loss_weight=5.0), STUDENT_FEATS, TEACHER_PREACT),
    'erreviewkd': (dict(
        type='EntropyReweightedLoss',
        loss=dict(type='ReviewKDLoss', **REVIEW_CHANNELS,
                  loss_weight=5.0)), STUDENT_FEATS, TEACHER_PREACT),
    'mgd':
    (dict(type='MGDLoss', student_channels=256, teacher_channels=64,
          loss_weight=1.2e-3), {}, {}),
    'srrl':
    (dict(type='SRRLLoss', student_channels=256, teacher_channels=64,
          sr_weight=5.0), {}, {}),
}


def build_distiller(loss_cfg: dict, student_taps: dict, teacher_taps: dict):
    return MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=Config.fromfile(str(MODELS_DIR / 'resnet8x4.py')).model,
            teacher=Config.fromfile(str(MODELS_DIR / 'resnet8.py')).model,
            distill_losses=dict(loss_distill=loss_cfg),
            student_taps=student_taps,
            teacher_taps=teacher_taps))


@pytest.mark.parametrize('method', sorted(CASES))
def test_one_training_step(method):
    torch.manual_seed(0)
    model = build_distiller(*CASES[method])
    model.train()
    loss_module = model.distill_losses['loss_distill']
    connector_params = dict(loss_module.named_parameters())
    assert connector_params, 'the loss owns trainable connectors'
    # The optimizer (built over model.parameters()) and checkpoints see the connectors.
    model_params = {id(p) for p in model.parameters()}
    assert all(id(p) in model_params for p in connector_params.values())
    state = model.state_dict()
    prefix = 'distill_losses.loss_distill.'
    assert all(prefix + name in state for name in connector_params)
    assert not any(key.startswith('teacher.') for key in state)

    inputs = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_distill'}
    assert torch.isfinite(losses['loss_distill']) and losses['loss_distill'].item() > 0
    sum(losses.values()).backward()

    # Every connector parameter is used in every step (DDP without unused parameters).
    unused = [name for name, p in connector_params.items() if p.grad is None]
    assert not unused
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
