"""The distiller's build-time shape probe (``shape_probe``) with every loss that has a
``check_shapes``: a config whose connectors or taps do not fit the models' real outputs
fails when the distiller is built, with a message that names the fix; a config that
fits builds, and its probe changes no state (parameters, buffers, modes, RNG)."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

import kd_plugin  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / 'configs' / '_base_' / 'models' / 'cifar'
PROBE = (3, 32, 32)
# Keys of a case that configure the distiller; the others are the loss's.
DISTILLER_ARGS = ('student', 'teacher', 'student_taps', 'teacher_taps')

# resnet8x4 (student; stem 32, stages 64/128/256 channels at 32/16/8) -> resnet8
# (teacher; stem 16, stages 16/32/64), the models unless a case names others.
STAGES = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3']
FEATS = dict(student_taps=dict(feats=STAGES), teacher_taps=dict(feats=STAGES))
PREACT = [f'{s}.0.relu_out:input' for s in STAGES]
TEACHER_BNS = [f'{s}.0.bn2:module' for s in STAGES]
OFD_TAPS = dict(
    student_taps=dict(preact_feats=PREACT),
    teacher_taps=dict(preact_feats=PREACT, preact_bn=TEACHER_BNS))
REVIEW = dict(
    type='ReviewKDLoss',
    student_taps=dict(feats=STAGES),
    teacher_taps=dict(preact_feats=PREACT),
    warmup_epochs=0)
REVIEW_CHANNELS = dict(
    student_channels=[64, 128, 256, 256], teacher_channels=[16, 32, 64, 64])
FCFD_STAGES = ['backbone.layer2:module', 'backbone.layer3:module']
FCFD = dict(
    type='FCFDLoss',
    student_taps=dict(feats=STAGES, stages=FCFD_STAGES),
    teacher_taps=dict(feats=STAGES, stages=FCFD_STAGES))
FCFD_SHAPES = dict(
    student_channels=[64, 128, 256],
    teacher_channels=[16, 32, 64],
    student_sizes=[32, 16, 8],
    teacher_sizes=[32, 16, 8])
TOKENS = ['backbone.layers.0', 'backbone.layers.1', 'backbone.ln1']


def tiny_vit(embed_dims: int, num_heads: int) -> dict:
    """A 3-layer ViT on 32x32 images, patch 8: 16 patch tokens and a class token."""
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='VisionTransformer',
            arch=dict(
                embed_dims=embed_dims,
                num_layers=3,
                num_heads=num_heads,
                feedforward_channels=2 * embed_dims),
            img_size=32,
            patch_size=8,
            out_type='cls_token'),
        head=dict(
            type='VisionTransformerClsHead', num_classes=100, in_channels=embed_dims))


VITKD = dict(
    type='ViTKDLoss',
    student=tiny_vit(16, 2),
    teacher=tiny_vit(32, 4),
    student_taps=dict(tokens=TOKENS),
    teacher_taps=dict(tokens=TOKENS))
VITKD_CHANNELS = dict(student_channels=16, teacher_channels=32)

# name: (loss cfg, kwargs that fit, kwargs that do not, fragment of the error)
CASES = {
    'fitnet': (dict(type='FitNetLoss'), dict(student_channels=128, teacher_channels=32),
               dict(student_channels=64), 'Set student_channels=128 and '
               'teacher_channels=32'),
    'ofd': (dict(type='OFDLoss', **OFD_TAPS),
            dict(student_channels=[64, 128, 256], teacher_channels=[16, 32, 64]),
            dict(teacher_channels=[16, 32, 32]), 'teacher_channels[2]=64'),
    'ofd_bn_tap':
    (dict(type='OFDLoss', **OFD_TAPS),
     dict(student_channels=[64, 128, 256], teacher_channels=[16, 32, 64]),
     dict(teacher_taps=dict(preact_feats=PREACT, preact_bn=TEACHER_BNS[:1] * 3)),
     'preact_bn_t[1] has 16 channels, but teacher_channels[1]=32; tap '
     'the BN that precedes the ReLU of that stage'),
    'reviewkd': (REVIEW, REVIEW_CHANNELS, dict(student_channels=[64, 128, 256, 128]),
                 'student_channels[3]=256'),
    'erreviewkd': (dict(REVIEW, wrapper='EntropyReweightedLoss'), REVIEW_CHANNELS,
                   dict(teacher_channels=[16, 32, 64, 32]), 'teacher_channels[3]=64'),
    'vid': (dict(type='VIDLoss', **FEATS),
            dict(student_channels=[64, 128, 256], teacher_channels=[16, 32, 64]),
            dict(student_channels=[64, 64, 256]), 'student_channels[1]=128'),
    'mgd': (dict(type='MGDLoss'), dict(student_channels=256, teacher_channels=64),
            dict(student_channels=128), 'Set student_channels=256'),
    'crd': (dict(type='CRDLoss', num_data=100, feat_dim=8,
                 num_negatives=4), dict(student_channels=256,
                                        teacher_channels=64), dict(teacher_channels=32),
            'but the embeddings were built for student_channels=256, teacher_channels=32.'
            ' Set student_channels=256 and teacher_channels=64 in the loss config.'),
    'srrl':
    (dict(type='SRRLLoss'), dict(student_channels=256, teacher_channels=64),
     dict(teacher_channels=256), 'Set student_channels=256 and teacher_channels=64'),
    'fcfd': (FCFD, FCFD_SHAPES, dict(student_sizes=[32, 16, 16]),
             'Set student_channels[2]=256 and student_sizes[2]=8'),
    'erfcfd': (dict(FCFD, wrapper='ERFCFDLoss'), FCFD_SHAPES,
               dict(teacher_channels=[16, 32, 32]), 'teacher_channels[2]=64'),
    'vitkd': (VITKD, VITKD_CHANNELS, dict(teacher_channels=16), 'teacher_channels=32'),
    'vitkd_extra_tokens': (VITKD, VITKD_CHANNELS,
                           dict(num_extra_tokens_s=0, num_extra_tokens_t=0),
                           '17 patch tokens are not a square grid: remove the extra '
                           'tokens'),
    'at': (dict(type='ATLoss'), {}, dict(student_taps=dict(feats=STAGES[1:])),
           'teacher_taps=dict(feats='),
    'nst': (dict(type='NSTLoss'), {}, dict(teacher_taps=dict(feats=STAGES)),
            'teacher_taps=dict(feats='),
    'sp': (dict(type='SPLoss'), {}, dict(student_taps=dict(feats='backbone.layer3')),
           'feats_s must be a non-empty tuple of stage maps'),
    'pkt': (dict(type='PKTLoss'), {}, dict(student_taps=dict(pooled='backbone.layer3')),
            'tap the classifier input'),
    # The paper's RKD needs 3 samples per batch: the probe's 2 are no error.
    'rkd':
    (dict(type='RKDLoss'), dict(match_reference=False),
     dict(teacher_taps=dict(pooled='backbone.layer3')), 'tap the classifier input'),
}


def distiller(cfg: dict, shape_probe=PROBE) -> dict:
    """The distiller config of a case's merged loss cfg and kwargs."""
    loss = {k: v for k, v in cfg.items() if k not in DISTILLER_ARGS}
    extra = {k: v for k, v in cfg.items() if k in DISTILLER_ARGS}
    wrapper = loss.pop('wrapper', None)
    if wrapper is not None:  # entropy reweighting around the loss
        loss = dict(type=wrapper, loss=loss)
    extra.setdefault('student', Config.fromfile(str(MODELS_DIR / 'resnet8x4.py')).model)
    extra.setdefault('teacher', Config.fromfile(str(MODELS_DIR / 'resnet8.py')).model)
    return dict(
        type='ClassificationDistiller',
        distill_losses=dict(loss_distill=loss),
        shape_probe=shape_probe,
        **extra)


def build_twice(cfg: dict, **kwargs) -> list:
    """Snapshots of the distiller built from the same seed without and with the probe."""
    snapshots = []
    for shape_probe in (None, PROBE):
        torch.manual_seed(0)
        snapshots.append(
            snapshot(MODELS.build(dict(distiller(cfg, shape_probe), **kwargs))))
    return snapshots


def snapshot(model: torch.nn.Module) -> dict:
    """Copies of every parameter and buffer (teacher, student, losses) and all modes."""
    tensors = {
        name: value.detach().clone()
        for name, value in [*model.named_parameters(), *model.named_buffers()]
    }
    modes = {name: module.training for name, module in model.named_modules()}
    return dict(tensors=tensors, modes=modes, rng=torch.get_rng_state())


@pytest.mark.parametrize('name', sorted(CASES))
def test_mismatch_fails_at_build(name):
    loss_cfg, right, wrong, fragment = CASES[name]
    cfg = {**loss_cfg, **right, **wrong}
    MODELS.build(distiller(cfg, shape_probe=None))  # would fail at the first step
    with pytest.raises(ValueError, match=re.escape(fragment)) as error:
        MODELS.build(distiller(cfg))
    assert 'found by the shape probe' in str(error.value)


@pytest.mark.parametrize('name', sorted(CASES))
def test_fitting_config_builds_and_the_probe_changes_no_state(name):
    loss_cfg, right, _, _ = CASES[name]
    without, with_probe = build_twice({**loss_cfg, **right})
    assert torch.equal(with_probe['rng'], without['rng'])
    assert with_probe['tensors'].keys() == without['tensors'].keys()
    for key, value in without['tensors'].items():
        torch.testing.assert_close(
            with_probe['tensors'][key], value, rtol=0, atol=0, equal_nan=True, msg=key)
    assert with_probe['modes'] == without['modes']


def test_probe_keeps_the_teacher_norm_modes():
    loss_cfg, right, _, _ = CASES['ofd']
    without, with_probe = build_twice({**loss_cfg, **right}, teacher_norm_train=True)
    assert with_probe['modes'] == without['modes']
