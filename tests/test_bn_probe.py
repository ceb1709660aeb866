"""mdistiller's build-time probe (FitNet, VID): by default the teacher's BatchNorm
statistics are exactly its checkpoint's; TrainModeNoiseProbeHook (opt-in) moves every
BN once, by its momentum 0.1, toward the statistics of one seeded noise batch."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS, MODELS

from kd_plugin.apis.smoke import smoke_config
from kd_plugin.engine.bn_probe import train_mode_probe

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL = osp.join(ROOT, 'configs/_base_/models/cifar/resnet8.py')
STAGES = ['backbone.layer1', 'backbone.layer2', 'backbone.layer3']


def batch_norms(model: nn.Module) -> dict:
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
    }


def bn_state(model: nn.Module) -> dict:
    return {
        f'{name}.{key}': value.clone()
        for name, module in batch_norms(model).items()
        for key, value in module.state_dict().items()
        if key.startswith(('running_', 'num_batches'))
    }


def teacher_checkpoint(path: str) -> dict:
    """A teacher state dict whose BN statistics are far from the defaults (0, 1, 0)."""
    teacher = MODELS.build(Config.fromfile(MODEL).model)
    generator = torch.Generator().manual_seed(1)
    for module in batch_norms(teacher).values():
        module.running_mean.normal_(generator=generator)
        module.running_var.uniform_(0.5, 2.0, generator=generator)
        module.num_batches_tracked.fill_(7)
    state = teacher.state_dict()
    torch.save(state, path)
    return state


def vid_distiller(teacher_ckpt: str) -> nn.Module:
    """FitNet/VID-like distiller: a loss with connectors, checked by the eval-mode,
    zero-input shape probe at build."""
    distiller = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=MODEL,
            teacher=MODEL,
            teacher_ckpt=teacher_ckpt,
            student_taps=dict(feats=STAGES),
            teacher_taps=dict(feats=STAGES),
            distill_losses=dict(
                loss_vid=dict(
                    type='VIDLoss',
                    student_channels=[16, 32, 64],
                    teacher_channels=[16, 32, 64])),
            shape_probe=(3, 32, 32)))
    distiller.init_weights()
    return distiller


def test_default_build_and_load_leave_the_teacher_statistics_at_the_checkpoint(tmp_path):
    state = teacher_checkpoint(str(tmp_path / 'teacher.pth'))
    distiller = vid_distiller(str(tmp_path / 'teacher.pth'))
    distiller.train()
    for key, value in bn_state(distiller.teacher).items():
        assert torch.equal(value, state[key]), key
    assert not distiller.teacher.training


def record_bn_inputs(model: nn.Module) -> tuple:
    inputs, handles = {}, []
    for name, module in batch_norms(model).items():

        def keep(module, args, name=name):
            inputs[name] = args[0].detach().clone()

        handles.append(module.register_forward_pre_hook(keep))
    return inputs, handles


def assert_moved_by_momentum(before: dict, after: dict, bn_inputs: dict, model) -> None:
    """Compared in the model's dtype, the expected values derived in float64."""
    for name, module in batch_norms(model).items():
        x = bn_inputs[name].double()
        momentum = module.momentum
        assert momentum == 0.1
        batch = dict(mean=x.mean(dim=(0, 2, 3)), var=x.var(dim=(0, 2, 3), unbiased=True))
        for stat in ('mean', 'var'):
            key = f'{name}.running_{stat}'
            expected = (1 - momentum) * before[key].double() + momentum * batch[stat]
            torch.testing.assert_close(after[key], expected.to(after[key].dtype))
        assert after[f'{name}.num_batches_tracked'] == (
            before[f'{name}.num_batches_tracked'] + 1)


def test_opt_in_moves_every_bn_of_both_networks_once_toward_the_noise(tmp_path):
    teacher_checkpoint(str(tmp_path / 'teacher.pth'))
    distiller = vid_distiller(str(tmp_path / 'teacher.pth')).double()
    distiller.train()
    before = {role: bn_state(getattr(distiller, role)) for role in ('student', 'teacher')}
    recorded, handles = {}, []
    for role in ('student', 'teacher'):
        recorded[role], role_handles = record_bn_inputs(getattr(distiller, role))
        handles += role_handles
    seen_inputs = []
    handles.append(
        distiller.teacher.register_forward_pre_hook(
            lambda module, args: seen_inputs.append(args[0].clone())))

    hook = HOOKS.build(dict(type='TrainModeNoiseProbeHook', seed=3))
    hook.before_train(SimpleNamespace(model=distiller, iter=0))
    for handle in handles:
        handle.remove()

    expected_noise = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(seen_inputs[0], expected_noise.double())
    for role in ('student', 'teacher'):
        model = getattr(distiller, role)
        assert len(recorded[role]) == len(batch_norms(model)) > 0
        assert_moved_by_momentum(before[role], bn_state(model), recorded[role], model)
    # Modes are restored: the teacher stays in eval, the student in train.
    assert not any(m.training for m in distiller.teacher.modules())
    assert all(m.training for m in distiller.student.modules())


@pytest.mark.parametrize('teacher_in_checkpoint', [False, True])
def test_resumed_run_probes_only_what_was_reloaded(tmp_path, teacher_in_checkpoint):
    teacher_checkpoint(str(tmp_path / 'teacher.pth'))
    distiller = vid_distiller(str(tmp_path / 'teacher.pth'))
    distiller.teacher_in_checkpoint = teacher_in_checkpoint
    before = {role: bn_state(getattr(distiller, role)) for role in ('student', 'teacher')}
    hook = HOOKS.build(dict(type='TrainModeNoiseProbeHook'))
    hook.before_train(SimpleNamespace(model=distiller, iter=100))
    after = {role: bn_state(getattr(distiller, role)) for role in ('student', 'teacher')}
    assert all(torch.equal(v, after['student'][k]) for k, v in before['student'].items())
    teacher_kept = all(
        torch.equal(v, after['teacher'][k]) for k, v in before['teacher'].items())
    assert teacher_kept == teacher_in_checkpoint


def test_a_config_with_the_hook_trains_with_the_probed_teacher(tmp_path):
    """End to end through the runner: FitNet's config plus the hook; the trained run's
    teacher statistics are those of an un-hooked run moved by the probe."""
    config = Config.fromfile(
        osp.join(ROOT, 'configs/fitnet/fitnet_resnet56_resnet20_1xb64_cifar100.py'))
    teachers = {}
    for hooked in (False, True):
        cfg = smoke_config(config, iters=1, work_dir=str(tmp_path / str(hooked)))
        # A real run's hooks: not the smoke harness's teacher BN calibration.
        cfg.custom_hooks = [
            hook for hook in cfg.get('custom_hooks', [])
            if hook['type'] != 'SmokeTeacherStatisticsHook'
        ] + ([dict(type='TrainModeNoiseProbeHook')] if hooked else [])
        runner = Runner.from_cfg(cfg)
        runner.train()
        teachers[hooked] = runner.model.teacher
    plain, probed = bn_state(teachers[False]), bn_state(teachers[True])
    changed = [key for key in plain if not torch.equal(plain[key], probed[key])]
    assert len(changed) == len(plain)  # every running_* and num_batches_tracked
    expected = plain.copy()
    recorded, handles = record_bn_inputs(teachers[False])
    train_mode_probe([teachers[False]],
                     HOOKS.build(dict(type='TrainModeNoiseProbeHook')).noise())
    for handle in handles:
        handle.remove()
    assert_moved_by_momentum(expected, probed, recorded, teachers[False])


def test_a_model_without_an_online_teacher_is_refused():
    with pytest.raises(ValueError, match='online `teacher`'):
        HOOKS.build(dict(type='TrainModeNoiseProbeHook')).before_train(
            SimpleNamespace(model=nn.Linear(1, 1), iter=0))
