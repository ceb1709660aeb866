"""Optimizer settings that configs take from their originals and that MMEngine's
constructor must turn into the same parameter groups."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from kd_plugin.apis.smoke import smoke_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    'config',
    ['dist_resnet34_resnet18_8xb32_in1k.py', 'dist_resnet50_mobilenet_v1_8xb32_in1k.py'])
def test_dist_imagenet_is_nesterov_without_decay_on_biases_and_1d_params(config):
    """hunto/image_classification_sota@d9662f7:lib/utils/optim.py: Nesterov SGD, weight
    decay 1e-4 only on parameters that are neither 1-D nor named ``*.bias``."""
    init_default_scope('mmpretrain')
    cfg = smoke_config(Config.fromfile(str(ROOT / 'configs' / 'dist' / config)))
    model = MODELS.build(cfg.model)
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    decay = {
        id(param): group['weight_decay']
        for group in optimizer.param_groups
        for param in group['params']
    }
    assert {group['nesterov'] for group in optimizer.param_groups} == {True}
    student = list(model.student.named_parameters())
    assert student and all(id(param) in decay for _, param in student)
    for name, param in student:
        expected = 0.0 if param.ndim == 1 or name.endswith('.bias') else 1e-4
        assert decay[id(param)] == pytest.approx(expected), name
