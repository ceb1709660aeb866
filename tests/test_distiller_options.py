"""Distiller options: teacher-side input adaptation, precision, channels_last, shape
probe."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from kd_plugin.models.distillers.teacher_input import TeacherInputAdapter

NUM_CLASSES = 5
STUDENT_NORM = dict(mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7])
TEACHER_NORM = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])


def classifier(width: int) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            stem_channels=width,
            base_channels=width,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=8 * width))


def distiller(**overrides) -> nn.Module:
    cfg = dict(
        type='ClassificationDistiller',
        student=classifier(4),
        teacher=classifier(8),
        distill_losses=dict(loss_kd=dict(type='KDLoss', temperature=4.0)),
        data_preprocessor=dict(type='ClsDataPreprocessor', **STUDENT_NORM),
        student_loss_weight=0.1)
    cfg.update(overrides)
    return MODELS.build(cfg)


def raw_images(size: int = 4, side: int = 16) -> Tensor:
    return torch.rand(
        size, 3, side, side, generator=torch.Generator().manual_seed(0)) * 255


def samples(size: int = 4):
    return [DataSample().set_gt_label(i % NUM_CLASSES) for i in range(size)]


def normalise(images: Tensor, norm: dict) -> Tensor:
    return ClsDataPreprocessor(**norm)(dict(inputs=images), False)['inputs']


def teacher_input_of(model: nn.Module, inputs: Tensor) -> Tensor:
    """The tensor the teacher's backbone receives in a training step."""
    seen = []
    handle = model.teacher.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach().clone()))
    model(inputs, samples(inputs.shape[0]), mode='loss')
    handle.remove()
    return seen[0]


@pytest.mark.parametrize('interpolation', ['bilinear', 'bicubic'])
def test_teacher_input_equals_the_teachers_own_preprocessing(interpolation):
    """Student batch at 16 px with its normalisation -> what the teacher's own pipeline
    gives at 24 px with its normalisation (resized raw images, then normalised)."""
    model = distiller(
        teacher_input=dict(size=24, interpolation=interpolation, **TEACHER_NORM))
    images = raw_images()
    expected = normalise(
        F.interpolate(
            images,
            size=(24, 24),
            mode=interpolation,
            antialias=True,
            align_corners=False), TEACHER_NORM)
    seen = teacher_input_of(model, normalise(images, STUDENT_NORM))
    assert seen.shape == (4, 3, 24, 24)
    torch.testing.assert_close(seen, expected, atol=1e-4, rtol=1e-5)


def test_teacher_input_renormalises_without_resizing():
    model = distiller(teacher_input=dict(**TEACHER_NORM))
    images = raw_images()
    seen = teacher_input_of(model, normalise(images, STUDENT_NORM))
    torch.testing.assert_close(
        seen, normalise(images, TEACHER_NORM), atol=1e-5, rtol=1e-5)


def test_teacher_input_identity_when_nothing_differs():
    model = distiller(teacher_input=dict(**STUDENT_NORM))
    assert model.teacher_input is None  # nothing to convert: no op in the step
    inputs = normalise(raw_images(), STUDENT_NORM)
    torch.testing.assert_close(teacher_input_of(model, inputs), inputs, atol=0, rtol=0)
    adapter = TeacherInputAdapter(torch.zeros(3, 1, 1), torch.ones(3, 1, 1), size=16)
    assert adapter(inputs) is inputs


def test_teacher_input_student_stays_at_its_resolution_and_errors():
    model = distiller(teacher_input=dict(size=(24, 20)))
    inputs = normalise(raw_images(), STUDENT_NORM)
    seen = []
    handle = model.student.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].shape))
    assert teacher_input_of(model, inputs).shape == (4, 3, 24, 20)
    handle.remove()
    assert seen == [inputs.shape]
    with pytest.raises(ValueError, match='both mean and std'):
        distiller(teacher_input=dict(mean=[0.5] * 3))
    with pytest.raises(ValueError, match='teacher_input.size'):
        distiller(teacher_input=dict(size=0))
    with pytest.raises(ValueError, match='teacher=None'):
        distiller(teacher=None, distill_losses=dict(), teacher_input=dict(size=24))


@MODELS.register_module(force=True)
class DtypeRecordingKD(nn.Module):
    """Test double: KD in float32 that records the logits' dtypes."""

    def __init__(self) -> None:
        super().__init__()
        self.dtypes = {}

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        self.dtypes = dict(student=logits_s.dtype, teacher=logits_t.dtype)
        return F.kl_div(
            logits_s.float().log_softmax(1),
            logits_t.float().log_softmax(1),
            reduction='batchmean',
            log_target=True)


def recorded_dtypes(model: nn.Module, outer_autocast: bool = False) -> dict:
    inputs = normalise(raw_images(), STUDENT_NORM)
    context = (
        torch.autocast('cpu', dtype=torch.bfloat16) if outer_autocast else torch.autocast(
            'cpu', enabled=False))
    with context:
        model(inputs, samples(), mode='loss')
    return model.distill_losses['loss_rec'].dtypes


def test_precision_options_choose_each_models_dtype():
    losses = dict(loss_rec=dict(type='DtypeRecordingKD'))
    assert recorded_dtypes(distiller(distill_losses=losses)) == dict(
        student=torch.float32, teacher=torch.float32)
    bf16_teacher = distiller(distill_losses=losses, teacher_precision='bf16')
    assert recorded_dtypes(bf16_teacher) == \
        dict(student=torch.float32, teacher=torch.bfloat16)
    bf16_student = distiller(distill_losses=losses, student_precision='bf16')
    assert recorded_dtypes(bf16_student) == \
        dict(student=torch.bfloat16, teacher=torch.float32)
    # An AMP step (as MMEngine's AmpOptimWrapper runs it) with a full-precision teacher.
    assert recorded_dtypes(
        distiller(distill_losses=losses, teacher_precision='fp32'),
        outer_autocast=True) == dict(
            student=torch.bfloat16, teacher=torch.float32)
    with pytest.raises(ValueError, match="student_precision='fp16'"):
        distiller(student_precision='fp16')


@pytest.mark.parametrize(
    'losses', [
        dict(loss_kd=dict(type='KDLoss', temperature=4.0)),
        dict(
            loss_dkd=dict(
                type='DKDLoss', alpha=1.0, beta=8.0, temperature=4.0, warmup_epochs=0)),
    ],
    ids=['kd', 'dkd'])
def test_bf16_step_stays_finite_and_close_to_fp32(losses):
    reference = distiller(distill_losses=losses)
    mixed = distiller(
        distill_losses=losses, student_precision='bf16', teacher_precision='bf16')
    mixed.load_state_dict(reference.state_dict(), strict=False)
    mixed.teacher.load_state_dict(reference.teacher.state_dict())
    inputs = normalise(raw_images(), STUDENT_NORM)
    expected = reference(inputs, samples(), mode='loss')
    got = mixed(inputs, samples(), mode='loss')
    for name, value in expected.items():
        assert got[name].dtype == torch.float32, name
        torch.testing.assert_close(got[name], value, rtol=0.05, atol=1e-3)
    sum(got.values()).backward()
    grads = [p.grad for p in mixed.student.parameters() if p.grad is not None]
    assert grads and all(
        torch.isfinite(g).all() and g.dtype == torch.float32 for g in grads)


def test_channels_last_same_losses_and_plain_checkpoints():
    reference = distiller()
    fast = distiller(channels_last=True)
    fast.load_state_dict(reference.state_dict(), strict=False)
    fast.teacher.load_state_dict(reference.teacher.state_dict())
    conv = fast.student.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    inputs = normalise(raw_images(), STUDENT_NORM)
    expected = reference(inputs, samples(), mode='loss')
    got = fast(inputs, samples(), mode='loss')
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        fast(inputs, mode='tensor'),
        reference(inputs, mode='tensor'),
        rtol=1e-4,
        atol=1e-5)
    # The student's weights load into a plain (contiguous) classifier.
    plain = MODELS.build(classifier(4))
    plain.load_state_dict({
        k[len('student.'):]: v
        for k, v in fast.state_dict().items() if k.startswith('student.')
    })
    torch.testing.assert_close(
        plain(inputs, mode='tensor'),
        reference(inputs, mode='tensor'),
        rtol=1e-4,
        atol=1e-5)


FITNET = dict(type='FitNetLoss', student_channels=8, teacher_channels=16, hint_stage=1)


def fitnet_distiller(**loss_overrides) -> nn.Module:
    return distiller(
        distill_losses=dict(loss_fitnet=dict(FITNET, **loss_overrides)),
        student_taps=dict(feats=['backbone.layer1', 'backbone.layer2']),
        teacher_taps=dict(feats=['backbone.layer1', 'backbone.layer2']),
        shape_probe=(3, 16, 16))


def test_shape_probe_reports_a_wrong_connector_at_build_time():
    with pytest.raises(ValueError, match=r'(?s)Set student_channels=8 .*shape probe'):
        fitnet_distiller(student_channels=5)
    with pytest.raises(ValueError, match='hint_stage=4'):
        fitnet_distiller(hint_stage=4)


def test_shape_probe_changes_nothing():
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    model = fitnet_distiller()
    after_build = torch.random.get_rng_state()
    torch.manual_seed(123)
    plain = distiller(
        distill_losses=dict(loss_fitnet=dict(FITNET)),
        student_taps=dict(feats=['backbone.layer1', 'backbone.layer2']),
        teacher_taps=dict(feats=['backbone.layer1', 'backbone.layer2']))
    # Same draws as a build without the probe (same initial weights), RNG untouched.
    assert torch.equal(after_build, torch.random.get_rng_state())
    assert not torch.equal(state, after_build)  # (building draws initial weights)
    for key, value in plain.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    assert model.training and not model.teacher.training
    bn = model.student.backbone.bn1
    assert int(bn.num_batches_tracked) == 0 and torch.equal(
        bn.running_mean, torch.zeros_like(bn.running_mean))


def test_shape_probe_runs_only_for_losses_that_check_shapes():
    # 5 input channels would crash the models' first conv: KD has no check_shapes, so
    # the models do not run at build time.
    distiller(shape_probe=(5, 16, 16))
    with pytest.raises(RuntimeError):
        fitnet_distiller_with_probe((5, 16, 16))


def fitnet_distiller_with_probe(shape) -> nn.Module:
    return distiller(
        distill_losses=dict(loss_fitnet=dict(FITNET)),
        student_taps=dict(feats=['backbone.layer1', 'backbone.layer2']),
        teacher_taps=dict(feats=['backbone.layer1', 'backbone.layer2']),
        shape_probe=shape)
