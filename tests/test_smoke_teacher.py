"""Smoke runs give a random teacher the BatchNorm statistics of their first batch."""
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn as nn
from mmengine.config import Config
from mmpretrain.registry import MODELS

from kd_plugin.apis.smoke import smoke_config
from kd_plugin.apis.smoke_teacher import SmokeTeacherStatisticsHook

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'


def test_first_batch_sets_the_statistics_once_and_the_teacher_stays_in_eval():
    cfg = Config.fromfile(SYNTHETIC_KD)
    assert dict(type='SmokeTeacherStatisticsHook') in smoke_config(cfg).custom_hooks
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    batch = dict(
        inputs=[torch.randint(0, 255, (3, 16, 16), dtype=torch.uint8) for _ in range(4)],
        data_samples=None)
    hook = SmokeTeacherStatisticsHook()
    runner = SimpleNamespace(model=model)
    hook.before_train_iter(runner, 0, batch)

    stem = model.teacher.backbone
    inputs = model.data_preprocessor(dict(batch), True)['inputs']
    conv = stem.conv1(inputs).detach()
    torch.testing.assert_close(stem.bn1.running_mean, conv.mean((0, 2, 3)))
    torch.testing.assert_close(stem.bn1.running_var, conv.var((0, 2, 3)))
    norms = [m for m in model.teacher.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(not m.training and m.momentum == 0.1 for m in norms)
    assert model.student.training
    before = stem.bn1.running_mean.clone()
    hook.before_train_iter(runner, 1,
                           dict(batch, inputs=[i * 0 for i in batch['inputs']]))
    assert torch.equal(stem.bn1.running_mean, before)  # once per run
