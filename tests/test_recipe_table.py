"""The recipe table (docs/recipes.md) pins every config's resolved training recipe.

The table lists, per config, what changes the numbers a run produces (optimizer,
schedulers, epochs, batch, data, normalisation, models, teacher, every distillation
loss with all its arguments, hooks), resolved by MMEngine from the config and its
bases. A config whose recipe changes without the table fails here, naming the config
and the field; after an intended change, regenerate the table with
``python tools/analysis/recipe_table.py`` and review its diff.
"""
from pathlib import Path

import pytest
from tool_modules import load_tool

from kd_plugin.apis.recipes import (
    ROOT,
    compare_recipes,
    load_config,
    parse_table,
    render,
    render_table,
    resolve_all,
    resolve_recipe,
)

recipe_tool = load_tool('tools/analysis/recipe_table.py')
DKD = 'configs/dkd/dkd_resnet32x4_resnet8x4_1xb64_cifar100.py'
BETA = 'model.distill_losses.loss_dkd.beta'


def test_every_config_matches_the_table(capsys):
    """A fresh resolution of every config equals docs/recipes.md."""
    assert recipe_tool.main(['--check']) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    'override, field, old, new',
    [('model = dict(distill_losses=dict(loss_dkd=dict(beta=2.0)))', BETA, '8.0', '2.0'),
     ('optim_wrapper = dict(optimizer=dict(lr=0.1))', 'optim_wrapper.optimizer.lr',
      '0.05', '0.1')],
    ids=['dkd_beta', 'schedule_lr'])
def test_one_changed_value_is_reported(tmp_path, override, field, old, new):
    """A copy of the DKD config that changes one value (in the method config or in what
    its schedule base sets) differs from the original by exactly that field."""
    copy = tmp_path / Path(DKD).name
    copy.write_text(f'_base_ = [{str(ROOT / DKD)!r}]\n{override}\n')
    original = resolve_recipe(load_config(ROOT / DKD), Path(DKD).name)
    changed = resolve_recipe(load_config(copy), copy.name)
    assert (original[field], changed[field]) == (old, new)
    assert compare_recipes({DKD: original},
                           {DKD: changed}) == [f'{DKD}:\n    {field}: {old} -> {new}']


def test_check_names_the_config_and_field(tmp_path, capsys):
    """``recipe_table.py --check`` exits 1 and names the config and the field when the
    table holds another value than the config."""
    recipes, models = resolve_all([ROOT / DKD])
    assert recipes[DKD][BETA] == '8.0'
    table = render_table(recipes, models).replace(f'{BETA}: 8.0', f'{BETA}: 2.0')
    assert parse_table(table)[DKD][BETA] == '2.0'
    path = tmp_path / 'recipes.md'
    path.write_text(table)

    assert recipe_tool.main(['--check', '--table', str(path), str(ROOT / DKD)]) == 1
    output = capsys.readouterr().out
    assert f'{DKD}:\n    {BETA}: 2.0 -> 8.0' in output
    path.write_text(render_table(recipes, models))
    assert recipe_tool.main(['--check', '--table', str(path), str(ROOT / DKD)]) == 0


def test_values_print_exactly_and_in_a_fixed_order():
    value = dict(
        type='Loss', weight=0.1 + 0.2, steps=[150, 180], size=(32, ), extra=None)
    assert render(value) == 'Loss(extra=None, size=(32,), steps=[150, 180], ' \
        'weight=0.30000000000000004)'
    assert render({'.cls_token': dict(decay_mult=0.0)}) == \
        "{'.cls_token': dict(decay_mult=0.0)}"
    assert render(str(ROOT / 'configs' / '_base_' / '..' / 'kd' / 'x.py')) == \
        "'configs/kd/x.py'"
