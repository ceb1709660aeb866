"""tools/reproduce.py: which configs a table holds, the commands its dry run prints, and
the table it fills (ours, mean ± std over seeds, next to the reported number)."""
import json
import os
import os.path as osp
import re
import subprocess

import pytest
from tool_modules import ROOT, load_tool

from kd_plugin.apis import reproduce
from kd_plugin.apis.analysis import load_reported

main = load_tool('tools/reproduce.py').main
KD = 'configs/kd/kd_resnet32x4_resnet8x4_1xb64_cifar100.py'
DKD = 'configs/dkd/dkd_resnet32x4_resnet8x4_1xb64_cifar100.py'


@pytest.fixture
def no_launch(monkeypatch):
    """A dry run must start nothing."""

    def refuse(*args, **kwargs):
        raise AssertionError(f'a dry run started {args}')

    monkeypatch.setattr(subprocess, 'Popen', refuse)


def fake_run(work_dir, stem, seed, accuracies):
    """What MMEngine leaves in a finished (or stopped) run's work dir."""
    launch = osp.join(work_dir, '20260101_000000')
    os.makedirs(osp.join(launch, 'vis_data'))
    with open(osp.join(work_dir, f'{stem}.py'), 'w') as file:
        file.write(f'randomness = dict(seed={seed})\n')
    with open(osp.join(launch, 'vis_data', 'scalars.json'), 'w') as file:
        for epoch, accuracy in accuracies:
            file.write(json.dumps({'accuracy/top1': accuracy, 'step': epoch}) + '\n')


def test_named_tables_are_the_configs_citing_their_source():
    entries = load_reported()
    configs = reproduce.table_configs(reproduce.TABLES['mdistiller-cifar100'], entries)
    stems = {osp.basename(path)[:-3] for path in configs}
    cited = {
        entry['config']
        for entry in entries if entry['dataset'] == 'CIFAR-100' and 'megvii-research/'
        'mdistiller@a08d46f:README.md' in entry['source'] + (entry.get('note') or '')
    }
    assert stems == cited and len(configs) == len(stems) >= 20
    assert all(osp.isfile(osp.join(ROOT, path)) for path in configs)
    assert {path.split('/')[1] for path in configs} >= {'kd', 'dkd'}
    for name, table in reproduce.TABLES.items():
        assert reproduce.table_configs(table, entries), f'table {name} is empty'
    # a method's folder, a glob, one file
    assert reproduce.select(['dkd'])[1] == sorted(
        osp.relpath(p, ROOT) for p in (ROOT / 'configs' / 'dkd').glob('*.py'))
    name, configs = reproduce.select(['configs/dkd/dkd_resnet32x4_*.py'])
    assert name == 'selection' and DKD in configs and len(configs) >= 2
    assert reproduce.select([KD]) == (osp.basename(KD)[:-3], [KD])
    with pytest.raises(ValueError, match="closest: 'mdistiller-cifar100'"):
        reproduce.select(['mdistiller-cifar10'])


def test_dry_run_prints_every_command_and_the_skeleton(tmp_path, capsys, no_launch):
    result = main([
        'mdistiller-cifar100', '--gpus', '8', '--seeds', '2', '--dry-run', '--work-dir',
        str(tmp_path)
    ])
    out = capsys.readouterr().out
    configs = reproduce.table_configs(reproduce.TABLES['mdistiller-cifar100'])
    commands = [line for line in out.splitlines() if 'tools/train.py' in line]
    assert len(commands) == 2 * len(configs)
    # seed 0 of every config first, eight 1-GPU runs side by side, each its own GPU
    first = commands[:len(configs)]
    assert all(line.endswith('--cfg-options randomness.seed=0') for line in first)
    devices = [re.match(r'CUDA_VISIBLE_DEVICES=(\d) ', line).group(1) for line in first]
    assert devices[:8] == [str(gpu) for gpu in range(8)]
    for config in configs:
        stem = osp.basename(config)[:-3]
        for seed in (0, 1):
            assert (f'tools/train.py {config} --work-dir {tmp_path}/{stem}/seed{seed} '
                    f'--cfg-options randomness.seed={seed}') in out
    rows = result['rows']
    assert [row['config'] for row in rows] == [osp.basename(c)[:-3] for c in configs]
    assert all(row['ours best'] is None and row['reported'] for row in rows)
    assert all(row['seeds'] == 'none of 0,1' and row['pair'] for row in rows)
    assert '| config | pair | dataset | seeds | ours best | ours last | reported |' in out
    assert not list(tmp_path.iterdir())  # nothing written


def test_dry_run_multi_gpu_and_slurm(tmp_path, capsys, no_launch):
    main([
        'mdistiller-imagenet', '--gpus', '4', '--seeds', '1', '--dry-run', '--work-dir',
        str(tmp_path)
    ])
    out = capsys.readouterr().out
    assert 'is set for 8 GPUs; on 4 its total batch is smaller' in out
    assert re.search(
        r'CUDA_VISIBLE_DEVICES=0,1,2,3 PORT=29500 tools/dist_train.sh '
        r'configs/kd/kd_resnet34_resnet18_8xb\d+_in1k.py 4 --work-dir', out)
    main(
        [DKD, '--slurm', 'gpu', '--seeds', '2', '--dry-run', '--work-dir',
         str(tmp_path)])
    out = capsys.readouterr().out
    stem = osp.basename(DKD)[:-3]
    assert (f'GPUS=1 GPUS_PER_NODE=1 tools/slurm_train.sh gpu {stem}-s1 {DKD} '
            f'{tmp_path}/{stem}/seed1 --cfg-options randomness.seed=1') in out
    # slurm: 8 GPUs per node by default, and --gpus 1 means one per node
    for gpus, per_node in (([], 8), (['--gpus', '1'], 1)):
        main(['mdistiller-imagenet', '--slurm', 'gpu', '--seeds', '1', '--dry-run'] +
             gpus + ['--work-dir', str(tmp_path)])
        assert re.search(
            rf'GPUS=8 GPUS_PER_NODE={per_node} tools/slurm_train.sh gpu '
            r'kd_resnet34_resnet18_8xb\d+_in1k-s0',
            capsys.readouterr().out)


def test_dry_run_fills_the_table_from_finished_runs(tmp_path, capsys, no_launch):
    """Synthetic finished runs (3 seeds of KD, 1 stopped run of DKD): done runs are not
    run again, the stopped one resumes, and the table holds ours next to the paper's."""
    kd, dkd = (osp.basename(path)[:-3] for path in (KD, DKD))
    for seed, best in ((0, 73.0), (1, 74.0), (2, 75.5)):
        fake_run(tmp_path / kd / f'seed{seed}', kd, seed, [(1, 50.0), (239, best),
                                                           (240, best - 0.5)])
    fake_run(tmp_path / dkd / 'seed0', dkd, 0, [(1, 40.0), (100, 60.0)])
    result = main([KD, DKD, '--seeds', '3', '--dry-run', '--work-dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert f'tools/train.py {KD}' not in out  # all three KD seeds are done
    assert (f'tools/train.py {DKD} --work-dir {tmp_path}/{dkd}/seed0 --cfg-options '
            'randomness.seed=0 --resume') in out
    assert f'{tmp_path}/{dkd}/seed2 --cfg-options randomness.seed=2\n' in out
    row = next(row for row in result['rows'] if row['config'] == kd)
    assert str(row['ours best']) == '74.17 ± 1.26 (3)'  # 73, 74, 75.5
    assert str(row['ours last']) == '73.67 ± 1.26 (3)'
    assert row['reported'] == 73.33 and row['best - reported'] == 0.84
    assert row['seeds'] == '0,1,2 of 0,1,2'
    assert (f'| {kd} | ResNet32x4 -> ResNet8x4 | CIFAR-100 | 0,1,2 of 0,1,2 | '
            '74.17 ± 1.26 (3) | 73.67 ± 1.26 (3) | 73.33 | 0.84 |') in out
    # the stopped DKD run counts with what it validated; the gap keeps its sign
    row = next(row for row in result['rows'] if row['config'] == dkd)
    assert row['seeds'] == '0 of 0,1,2' and str(row['ours best']) == '60.00 (1)'
    assert row['best - reported'] == round(60.0 - row['reported'], 2) < 0
    # options reach every command (after the seed) and the check of the last epoch
    assert reproduce.run_status(DKD, str(tmp_path / dkd / 'seed0'),
                                ['train_cfg.max_epochs=100']) == 'done'
    main([
        DKD, '--seeds', '2', '--dry-run', '--work-dir',
        str(tmp_path), '--cfg-options', 'train_cfg.max_epochs=100'
    ])
    out = capsys.readouterr().out
    assert 'seed0 --cfg-options' not in out
    assert (f'{dkd}/seed1 --cfg-options randomness.seed=1 train_cfg.max_epochs=100\n'
            in out)


def test_smoke_run_of_two_configs(tmp_path, capsys):
    """The whole kit for real, in seconds: two configs, one seed, as CPU smoke runs."""
    result = main([KD, DKD, '--smoke', '--seeds', '1', '--work-dir', str(tmp_path)])
    assert not result['failed']
    rows = {row['config']: row for row in result['rows']}
    for path in (KD, DKD):
        row = rows[osp.basename(path)[:-3]]
        assert row['ours best'].n == 1 and row['seeds'] == '0 of 0'
        assert row['reported'] is not None
    text = (tmp_path / 'selection.md').read_text()
    assert text == result['markdown'] and '(1) |' in text
