"""Deploying the student (tools/export_student.py), starting a student from a plain
checkpoint (`student_ckpt`) and evaluating the teacher during training
(TeacherEvalHook)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS, MODELS

from kd_plugin.apis.export import ExportError, export_student
from kd_plugin.engine import TeacherEvalHook
from kd_plugin.utils import UnsafeCheckpointError, load_model_weights

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_KD = ROOT / 'tests' / 'data' / 'configs' / 'kd_synthetic.py'


@HOOKS.register_module(force=True)
class RecordStudentAtTrainStartHook(Hook):
    """Test helper: what the student holds when the first iteration starts."""

    weights = None

    def before_train(self, runner) -> None:
        student = runner.model.student
        RecordStudentAtTrainStartHook.weights = {
            k: v.clone()
            for k, v in student.state_dict().items()
        }


def plain_data(value) -> bool:
    if isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(plain_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_data(v) for k, v in value.items())
    return False


def save_classifier(model_cfg, path: Path, seed: int) -> dict:
    """A plain MMPretrain checkpoint of a freshly built classifier."""
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    torch.save({'meta': {'epoch': 3}, 'state_dict': state}, path)
    return state


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One epoch of kd_synthetic in-process: teacher and student start from checkpoints,
    the teacher is evaluated by TeacherEvalHook."""
    tmp = tmp_path_factory.mktemp('export')
    cfg = Config.fromfile(SYNTHETIC_KD)
    teacher_state = save_classifier(cfg.model.teacher, tmp / 'teacher.pth', seed=1)
    student_state = save_classifier(cfg.model.student, tmp / 'student.pth', seed=2)
    cfg.model.teacher_ckpt = str(tmp / 'teacher.pth')
    cfg.model.student_ckpt = str(tmp / 'student.pth')
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp / 'work')
    cfg.experiment_name = 'test_export_kd_synthetic'
    cfg.custom_hooks = [
        dict(type='TeacherEvalHook'),
        dict(type='RecordStudentAtTrainStartHook')
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    return dict(
        tmp=tmp,
        cfg=cfg,
        runner=runner,
        ckpt=tmp / 'work' / 'epoch_1.pth',
        teacher_state=teacher_state,
        student_state=student_state)


# ------------------------------------------------------------------- export_student
def test_export_loads_strictly_into_the_stock_student_and_predicts_the_same(trained):
    out = trained['tmp'] / 'deploy' / 'student.pth'
    export_student(str(trained['ckpt']), str(out), config=str(SYNTHETIC_KD))

    exported = torch.load(out, map_location='cpu', weights_only=True)
    assert set(exported) == {'state_dict', 'meta'}
    assert all(isinstance(v, torch.Tensor) for v in exported['state_dict'].values())
    assert plain_data(exported['meta'])
    assert exported['meta']['epoch'] == 1 and exported['meta']['iter'] == 4
    assert exported['meta']['dataset_meta']['classes'][0] == 'class_0'
    assert not any(
        k.startswith(('student.', 'teacher.', 'distill_losses.'))
        for k in exported['state_dict'])

    student = MODELS.build(trained['cfg'].model.student)
    student.load_state_dict(exported['state_dict'], strict=True)
    trained_student = trained['runner'].model.student
    student.eval()
    trained_student.eval()
    batch = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(
            student(batch, mode='tensor'), trained_student(batch, mode='tensor'))


def test_export_cli_verifies_against_the_config(trained):
    out = trained['tmp'] / 'cli_student.pth'
    result = subprocess.run([
        sys.executable, 'tools/export_student.py',
        str(trained['ckpt']),
        str(out), '--config',
        str(SYNTHETIC_KD)
    ],
                            cwd=ROOT,
                            capture_output=True,
                            text=True,
                            timeout=120,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'verified against' in result.stdout
    assert out.is_file()


def test_export_drops_everything_but_the_student_of_a_timm_distiller(tmp_path):
    timm_student = dict(
        type='TimmClassifier', model_name='resnet18', num_classes=10, pretrained=False)
    config = tmp_path / 'kd_timm.py'
    config.write_text(
        f'model = dict(type="ClassificationDistiller", student={timm_student!r}, '
        f'teacher={timm_student!r}, teacher_in_checkpoint=True, '
        'distill_losses=dict(loss_kd=dict(type="KDLoss", temperature=4.0)))\n')
    torch.manual_seed(0)
    distiller = MODELS.build(Config.fromfile(config).model)
    state = distiller.state_dict()
    assert any(k.startswith('teacher.') for k in state)
    # What other distillers add: connectors / loss parameters, memory banks, aux buffers.
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(
        {
            'meta': {
                'epoch': 1,
                'iter': 10,
                'cfg': 'model = ...'
            },
            'state_dict': state,
            'optimizer': {
                'state': {},
                'param_groups': [{
                    'lr': 0.1
                }]
            }
        }, ckpt)
    out = tmp_path / 'student.pth'
    export_student(str(ckpt), str(out), config=str(config), input_size=64)

    exported = torch.load(out, weights_only=True)
    keys = set(exported['state_dict'])
    assert 'conv1.weight' in keys and 'fc.weight' in keys, 'timm-native keys'
    stock = MODELS.build(timm_student)
    assert keys == set(stock.state_dict())
    assert 'cfg' not in exported['meta'] and plain_data(exported['meta'])
    stock.load_state_dict(exported['state_dict'], strict=True)
    assert torch.equal(exported['state_dict']['fc.weight'], state['student.fc.weight'])

    # Extra entries of other methods are left behind.
    extra = dict(state)
    extra['distill_losses.loss_fitnet.connector.weight'] = torch.ones(4, 4)
    extra['distill_losses.loss_crd.memory_s'] = torch.ones(100, 8)
    extra['aux_batch.buffer'] = torch.ones(2)
    torch.save({'state_dict': extra}, ckpt)
    export_student(str(ckpt), str(out))
    assert set(torch.load(out, weights_only=True)['state_dict']) == keys


def test_a_plain_checkpoint_is_not_a_distiller_checkpoint(tmp_path):
    cfg = Config.fromfile(SYNTHETIC_KD)
    save_classifier(cfg.model.student, tmp_path / 'plain.pth', seed=0)
    with pytest.raises(
            ExportError, match=r'no "student\." keys.*backbone\. \(\d+ keys\)'):
        export_student(str(tmp_path / 'plain.pth'), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()

    spec = importlib.util.spec_from_file_location('export_tool',
                                                  ROOT / 'tools' / 'export_student.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([str(tmp_path / 'plain.pth'), str(tmp_path / 'out.pth')]) == 1


def test_config_and_checkpoint_mismatch_names_the_keys(trained, tmp_path):
    config = tmp_path / 'kd_wrong.py'
    config.write_text(f'_base_ = [{str(SYNTHETIC_KD)!r}]\n'
                      'model = dict(student=dict(backbone=dict(stem_channels=8, '
                      'base_channels=8), head=dict(in_channels=64)))\n')
    with pytest.raises(ExportError, match=r'shape mismatches \[student\.'):
        export_student(
            str(trained['ckpt']), str(tmp_path / 'out.pth'), config=str(config))


def test_an_unsafe_checkpoint_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'student.w': torch.ones(1)}, 'meta': Path('/x')}, path)
    with pytest.raises(UnsafeCheckpointError):
        export_student(str(path), str(tmp_path / 'out.pth'))


# --------------------------------------------------------------------- student_ckpt
def test_student_ckpt_initialises_the_student_before_training(trained):
    recorded = RecordStudentAtTrainStartHook.weights
    expected = trained['student_state']
    assert set(recorded) == set(expected)
    for key, value in expected.items():
        assert torch.equal(recorded[key], value), key


def test_student_ckpt_in_init_weights(tmp_path):
    cfg = Config.fromfile(SYNTHETIC_KD)
    state = save_classifier(cfg.model.student, tmp_path / 'student.pth', seed=5)
    model_cfg = cfg.model.copy()
    model_cfg.student_ckpt = str(tmp_path / 'student.pth')
    torch.manual_seed(6)
    distiller = MODELS.build(model_cfg)
    distiller.init_weights()
    for key, value in distiller.student.state_dict().items():
        assert torch.equal(value, state[key]), key

    model_cfg.student_ckpt = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError):
        MODELS.build(model_cfg).init_weights()


# ---------------------------------------------------------------- TeacherEvalHook
def evaluate_directly(cfg, teacher_ckpt) -> float:
    """Top-1 of the teacher on the val set, computed without the runner or the hook."""
    teacher = MODELS.build(cfg.model.teacher)
    load_model_weights(teacher, teacher_ckpt, role='teacher')
    teacher.eval()
    preprocessor = MODELS.build(dict(type='ClsDataPreprocessor', **cfg.data_preprocessor))
    loader = Runner.build_dataloader(cfg.val_dataloader)
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            data = preprocessor(batch, False)
            logits = teacher(data['inputs'], mode='tensor')
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            correct += (logits.argmax(1) == labels).sum().item()
            total += len(labels)
    return 100.0 * correct / total


def test_teacher_eval_hook_logs_the_teacher_accuracy(trained):
    runner = trained['runner']
    logged = runner.message_hub.get_scalar('val/teacher/accuracy/top1').current()
    expected = evaluate_directly(trained['cfg'], trained['cfg'].model.teacher_ckpt)
    assert logged == pytest.approx(expected, abs=1e-4)
    student = runner.message_hub.get_scalar('val/accuracy/top1').current()
    log_text = ''.join(p.read_text() for p in Path(runner.log_dir).glob('*.log'))
    val_lines = [
        line for line in log_text.splitlines()
        if 'Epoch(val) [1]' in line and 'accuracy/top1' in line
    ]
    assert val_lines and 'teacher/accuracy/top1' in val_lines[-1], val_lines
    assert student is not None


def test_teacher_eval_hook_interval():

    class Distiller:
        teacher_norm_train = False

    once = TeacherEvalHook()
    assert [once._due(Distiller()) for _ in range(4)] == [True, False, False, False]
    every_two = TeacherEvalHook(interval=2)
    assert [every_two._due(Distiller()) for _ in range(4)] == [True, False, True, False]
    norm_train = Distiller()
    norm_train.teacher_norm_train = True
    default = TeacherEvalHook()
    assert [default._due(norm_train) for _ in range(3)] == [True, True, True]
    with pytest.raises(ValueError):
        TeacherEvalHook(interval=0)
