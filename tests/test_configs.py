"""Every config in the repository trains and validates (tools/smoke.py), offline, on
CPU."""
from pathlib import Path

import pytest
from tool_modules import load_tool

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)

smoke_tool = load_tool('tools/smoke.py')


def test_config_basenames_are_unique():
    """mim finds configs by basename and refuses ambiguous ones."""
    names = [path.name for path in CONFIGS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize('config', CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_passes_smoke(config):
    # The run's temporary work dir is removed at once: its checkpoints reach 1 GB for
    # the ViT pairs, over 10 GB for the whole parametrisation.
    result = smoke_tool.run_smoke(str(config), iters=2, batch_size=2)
    assert result['losses'], 'training logged no loss'
    assert any(key.startswith('val/accuracy') for key in result['metrics'])


def test_smoke_conversion_shrinks_per_sample_memory():
    """The smoke conversion lowers ``num_data`` (CRD's memory banks: 1281167 rows, 1.3 GB
    for ImageNet) to the synthetic training set, and keeps ``num_negatives``, which the
    loss and the dataset wrapper must share."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from kd_plugin.apis.smoke import smoke_config
    cfg = Config.fromfile(
        str(ROOT / 'configs' / 'crd' / 'crd_resnet34_resnet18_8xb32_in1k.py'))
    smoke = smoke_config(cfg, iters=3, batch_size=2)
    loss_cfg = smoke.model.distill_losses.loss_crd
    assert loss_cfg.num_data == 6
    assert loss_cfg.num_negatives == smoke.train_dataloader.dataset.num_negatives == 16384
    assert cfg.model.distill_losses.loss_crd.num_data == 1281167  # the input is untouched
    loss = MODELS.build(loss_cfg)
    assert loss.memory_s.shape == loss.memory_t.shape == (6, 128)


def test_fit_per_sample_memory_keys_on_num_data():
    """Any ``num_data`` above the set size, at any depth of the model config; smaller
    values and non-integers stay."""
    from kd_plugin.apis.smoke import fit_per_sample_memory
    node = dict(
        num_data=10,
        losses=dict(a=dict(num_data=50000, other=50000)),
        extra=[dict(num_data=3),
               dict(num_data=True), (dict(num_data=7.5), )])
    fit_per_sample_memory(node, 4)
    assert node == dict(
        num_data=4,
        losses=dict(a=dict(num_data=4, other=50000)),
        extra=[dict(num_data=3),
               dict(num_data=True), (dict(num_data=7.5), )])
