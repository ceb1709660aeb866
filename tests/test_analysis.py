"""tools/analysis on a fake work dir: no training."""
import json
import os.path as osp

import pytest

from kd_plugin.apis import analysis

NAME = 'kd_resnet32x4_resnet8x4_1xb64_cifar100'
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _fake_run(tmp_path,
              teacher=True,
              work=None,
              accuracies=(50.0, 70.0, 65.0),
              seed=None):
    """A work dir as MMEngine writes it; ``seed`` goes into the launch's log."""
    work = work or tmp_path / NAME
    launch = work / '20260101_000000'
    logs = launch / 'vis_data'
    logs.mkdir(parents=True)
    (work / f'{NAME}.py').write_text("model = dict(type='ClassificationDistiller')\n"
                                     'randomness = dict(seed=7, deterministic=False)\n')
    if seed is not None:
        (launch / '20260101_000000.log').write_text(
            'Runtime environment:\n    cudnn_benchmark: False\n'
            f'    seed: {seed}\n    Distributed launcher: none\n')
    records = []
    for epoch in (1, 2, 3):
        for it in (5, 10):
            records.append(
                dict(
                    lr=0.05,
                    loss=3.0 / epoch,
                    loss_cls=1.0 / epoch,
                    loss_kd=2.0 / epoch,
                    epoch=epoch,
                    iter=(epoch - 1) * 10 + it,
                    step=(epoch - 1) * 10 + it))
        val = {'accuracy/top1': accuracies[epoch - 1], 'step': epoch}
        if teacher:
            val['teacher/accuracy/top1'] = 79.4
        records.append(val)
    text = '\n'.join(json.dumps(r) for r in records) + '\n{"accuracy/to'  # cut last line
    (logs / 'scalars.json').write_text(text)
    return str(work)


def test_parse_config_name():
    parts = analysis.parse_config_name('dkd_wrn_40_2_shufflev1_1xb64_cifar100.py')
    assert parts == dict(
        method='dkd',
        teacher='WRN-40-2',
        student='ShuffleNetV1',
        gpus=1,
        batch_size=64,
        dataset='CIFAR-100')
    parts = analysis.parse_config_name('kd_resnet50_mobilenet_v1_8xb64_in1k')
    assert (parts['teacher'], parts['student'],
            parts['dataset']) == ('ResNet-50', 'MobileNetV1', 'ImageNet-1k')
    assert analysis.parse_config_name('uskd_vgg8_1xb64_cifar100')['teacher'] is None
    parts = analysis.parse_config_name('deit_vit-base-p16-384_deit-tiny_8xb128_in1k')
    assert (parts['teacher'], parts['student']) == ('ViT-B/16 at 384 px', 'DeiT-Tiny')
    assert analysis.parse_config_name('demo_teacher')['method'] == 'demo'


def test_curves_and_summary(tmp_path):
    work = _fake_run(tmp_path)
    curves = analysis.curves(analysis.read_scalars(work))
    assert curves['accuracy/top1'] == [(10, 50.0), (20, 70.0), (30, 65.0)]
    assert curves['teacher/accuracy/top1'][-1] == (30, 79.4)
    assert {'loss', 'loss_cls', 'loss_kd'} <= set(curves)
    row = analysis.summarize_run(work)
    assert row['method'] == 'kd' and row['pair'] == 'ResNet32x4 -> ResNet8x4'
    assert (row['epochs'], row['best_top1'], row['last_top1']) == (3, 70.0, 65.0)
    assert row['teacher_top1'] == 79.4
    assert row['reported_top1'] == 73.33 and row['gap'] == round(70.0 - 73.33, 2)


def test_collect_results_cli(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'collect_results', osp.join(ROOT, 'tools', 'analysis', 'collect_results.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    work = _fake_run(tmp_path, teacher=False)
    empty = tmp_path / 'empty'
    empty.mkdir()
    out, csv_path = tmp_path / 't.md', tmp_path / 't.csv'
    rows = module.main([work, str(empty), '--out', str(out), '--csv', str(csv_path)])
    assert len(rows) == 1 and rows[0]['teacher_top1'] is None
    table = out.read_text()
    assert NAME in table and '73.33' in table and '70.00' in table
    assert csv_path.read_text().splitlines()[0].startswith('config,seed,method,pair')


def test_nested_runs_seeds_and_mean_std(tmp_path):
    """Runs at any depth (the demo's, a reproduction's seed folders), told apart by seed
    and work dir, merged per config as mean ± sample std (n)."""
    root = tmp_path / 'reproduce'
    for seed, best in ((0, 70.0), (1, 72.0), (2, 77.0)):
        _fake_run(
            tmp_path,
            work=root / NAME / f'seed{seed}',
            accuracies=(50.0, best, 60.0),
            seed=seed)
    # no log: the config's seed
    lone = _fake_run(
        tmp_path, work=tmp_path / 'lone' / 'run', accuracies=(50.0, 70.0, 60.0))
    (root / 'not_a_run').mkdir()
    runs = analysis.find_runs([str(root), lone, str(tmp_path / 'missing')])
    assert runs == [str(root / NAME / f'seed{s}') for s in range(3)] + [lone]

    rows = [analysis.summarize_run(run) for run in runs]
    assert [row['seed'] for row in rows] == [0, 1, 2, 7]
    assert [row['work_dir'] for row in rows] == runs
    merged = analysis.aggregate(rows)
    assert len(merged) == 1 and merged[0]['n'] == 4 and merged[0]['seeds'] == '0,1,2,7'
    best = merged[0]['best_top1']
    # 70, 72, 77, 70: mean 72.25, sample variance (5.0625+0.0625+22.5625+5.0625)/3
    assert best.mean == pytest.approx(72.25)
    assert best.std == pytest.approx((32.75 / 3)**0.5)
    assert str(best) == '72.25 ± 3.30 (4)'
    assert merged[0]['last_top1'].std == 0.0
    assert merged[0]['gap'] == round(72.25 - 73.33, 2)
    table = analysis.aggregate_table(merged)
    assert table.splitlines()[0].startswith(
        '| config | method | pair | dataset | n | seeds')
    assert '72.25 ± 3.30 (4)' in table and '60.00 ± 0.00 (4)' in table
    assert str(analysis.MeanStd([65.0])) == '65.00 (1)'


def test_collect_results_recurses_and_aggregates(tmp_path, capsys):
    from tool_modules import load_tool
    main = load_tool('tools/analysis/collect_results.py').main
    for seed, best in ((0, 70.0), (1, 74.0)):
        _fake_run(
            tmp_path,
            work=tmp_path / 'demo' / f'seed{seed}',
            accuracies=(50.0, best, 60.0),
            seed=seed)
    rows = main([str(tmp_path / 'demo')])
    assert [(row['seed'], row['best_top1']) for row in rows] == [(0, 70.0), (1, 74.0)]
    per_run = capsys.readouterr().out
    assert str(tmp_path / 'demo' / 'seed1') in per_run
    csv_path = tmp_path / 'mean.csv'
    rows = main([str(tmp_path / 'demo'), '--aggregate', '--csv', str(csv_path)])
    assert len(rows) == 1 and str(rows[0]['best_top1']) == '72.00 ± 2.83 (2)'
    assert '72.00 ± 2.83 (2)' in capsys.readouterr().out
    header = csv_path.read_text().splitlines()[0].split(',')
    assert {'best_top1_mean', 'best_top1_std', 'best_top1_n', 'seeds'} <= set(header)


def test_plot_curves_cli(tmp_path):
    pytest.importorskip('matplotlib')
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'plot_curves', osp.join(ROOT, 'tools', 'analysis', 'plot_curves.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    work = _fake_run(tmp_path)
    out = tmp_path / 'curves.png'
    keys = module.main([work, '--out', str(out)])
    assert out.stat().st_size > 0
    assert keys[:2] == ['accuracy/top1', 'teacher/accuracy/top1'] and 'loss_kd' in keys


def test_no_scalars(tmp_path):
    with pytest.raises(FileNotFoundError):
        analysis.read_scalars(str(tmp_path))


@pytest.mark.parametrize('backend', ['TensorboardVisBackend', 'WandbVisBackend'])
def test_logging_switch_is_one_line_of_a_config(tmp_path, backend):
    """docs/logging.md: the default runtime's visualizer merges with one line."""
    from mmengine import Config
    user = tmp_path / 'user.py'
    base = osp.join(ROOT, 'configs', 'kd', f'{NAME}.py')
    user.write_text(f"_base_ = [{base!r}]\nvisualizer = dict(vis_backends=["
                    f"dict(type='LocalVisBackend'), dict(type={backend!r})])\n")
    merged = Config.fromfile(str(user))
    types = [b['type'] for b in merged.visualizer['vis_backends']]
    assert types == ['LocalVisBackend', backend]
    assert merged.visualizer['type'] == 'UniversalVisualizer'
    assert merged.model['type'] == 'ClassificationDistiller'
