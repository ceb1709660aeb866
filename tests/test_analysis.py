"""tools/analysis on a fake work dir: no training."""
import json
import os.path as osp

import pytest

from kd_plugin.apis import analysis

NAME = 'kd_resnet32x4_resnet8x4_1xb64_cifar100'
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _fake_run(tmp_path, teacher=True):
    work = tmp_path / NAME
    logs = work / '20260101_000000' / 'vis_data'
    logs.mkdir(parents=True)
    (work / f'{NAME}.py').write_text("model = dict(type='ClassificationDistiller')\n")
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
        val = {'accuracy/top1': [50.0, 70.0, 65.0][epoch - 1], 'step': epoch}
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
    assert csv_path.read_text().splitlines()[0].startswith('config,method,pair')


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
