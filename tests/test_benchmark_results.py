"""tools/benchmark_results.py (make results): every method's CIFAR-100 recipe carried
over to the digits by one set of rules, and a tiny benchmark end to end."""
import os.path as osp
import re

import pytest
import torch
from tool_modules import ROOT, load_tool

from kd_plugin.apis import results_benchmark as bench

main = load_tool('tools/benchmark_results.py').main


def config_of(folder: str, epochs: int = 20):
    method = bench.METHODS_BY_FOLDER[folder]
    job = bench.Job('method', method.pair, 3, folder)
    return bench.job_config(job, '/tmp/root', epochs=epochs, teacher_ckpt='T.pth')


def transforms(node):
    """Every transform type in a (nested) dataset config."""
    if isinstance(node, dict):
        found = [node['type']] if 'type' in node and 'Dataset' not in node['type'] else []
        return found + [t for value in node.values() for t in transforms(value)]
    if isinstance(node, (list, tuple)):
        return [t for value in node for t in transforms(value)]
    return []


def test_every_method_folder_and_recipe_carries_over():
    folders = [method.folder for method in bench.METHODS]
    assert len(folders) == len(set(folders)) >= 30
    for method in bench.METHODS:
        assert osp.isdir(ROOT / 'configs' / method.folder), method.folder
        cfg = config_of(method.folder)
        pair = bench.PAIRS[method.pair]
        assert cfg.work_dir == f'/tmp/root/{method.pair}/{method.folder}/seed3'
        assert cfg.randomness.seed == 3 and cfg.train_cfg.max_epochs == 20
        assert cfg.param_scheduler.T_max == 20 and cfg.train_cfg.val_interval == 20
        assert cfg.model.student['head']['num_classes'] == 10
        if method.folder != 'uskd':  # teacher-free
            assert cfg.model.teacher_ckpt == 'T.pth'
            assert cfg.model.teacher['head']['num_classes'] == 10
            assert cfg.model.get('shape_probe') in (None, (3, 16, 16))
        kinds = transforms(cfg.train_dataloader.dataset)
        assert 'RandomFlip' not in kinds and 'RandomCrop' in kinds
        assert all(step['crop_size'] == 16 for step in _crops(cfg.train_dataloader))
        assert cfg.default_hooks.checkpoint is None
        assert pair.student_channels is None or (cfg.model.student['backbone']['channels']
                                                 == pair.student_channels)


def test_method_pages_point_to_their_row():
    """Each benchmarked method's page ends with its "Results of our own" section: the
    row's name and docs/results.md, next to the papers' numbers it keeps above."""
    for method in bench.METHODS:
        text = (ROOT / 'configs' / method.folder / 'README.md').read_text()
        section = text[text.rindex('\n## ') + 1:]
        assert section.startswith('## Results of our own\n'), method.folder
        assert f'**{method.name}**' in section and '../../docs/results.md' in section
        assert f'`{method.source}`' in section.replace('\n', ' ')


def _crops(node):
    if isinstance(node, dict):
        here = [node] if node.get('type') == 'RandomCrop' else []
        return here + [c for value in node.values() for c in _crops(value)]
    if isinstance(node, (list, tuple)):
        return [c for value in node for c in _crops(value)]
    return []


def test_scaling_rules():
    """Epoch settings keep their share of the schedule, per-sample memories and CRD's
    negatives their share of the data, feature-map sides follow the image, widths the
    models."""
    dkd = config_of('dkd', epochs=30).model.distill_losses.loss_dkd
    assert dkd.warmup_epochs == round(20 * 30 / 240) == 2  # CIFAR: 20 of 240 epochs
    ctkd = config_of('ctkd', epochs=30).model.distill_losses.loss_ctkd
    assert ctkd.lambda_epochs == 1  # 10 of 240 -> 1.25
    crd = config_of('crd')
    loss = crd.model.distill_losses.loss_crd
    assert loss.num_data == 500 and loss.num_negatives == round(16384 * 500 / 50000)
    assert crd.train_dataloader.dataset.num_negatives == loss.num_negatives
    assert crd.train_dataloader.dataset.dataset.type == 'DigitsDataset'
    assert [hook['type'] for hook in crd.custom_hooks] == ['ContrastiveEpochHook']
    fcfd = config_of('fcfd').model.distill_losses.loss_fcfd
    assert fcfd.student_sizes == fcfd.teacher_sizes == [16, 8, 4]
    pair = bench.PAIRS['zoo']
    student, teacher = pair.student_channels, pair.teacher_channels
    review = config_of('reviewkd').model.distill_losses.loss_reviewkd
    # resnet8x4 / resnet32x4 stages 64, 128, 256 (and the pooled 256) -> the pair's
    assert review.student_channels == [student[1], student[2], student[3], student[3]]
    assert review.teacher_channels == [teacher[1], teacher[2], teacher[3], teacher[3]]
    assert config_of('uskd').model.distill_losses.loss_uskd.in_channels == student[2]
    mlkd = config_of('mlkd')
    assert mlkd.data_preprocessor.type == 'MultiViewClsDataPreprocessor'
    view = mlkd.train_dataloader.dataset.pipeline[0]
    assert view.type == 'MultiView' and view.transforms[1][-1].type == 'MLKDRandAugment'
    with pytest.raises(ValueError, match='student_channels=77'):
        bench.adapt(
            dict(student_channels=77), bench.Scaling(1, 1, 1, student_channels={32: 4}))


def test_tiny_benchmark_writes_the_results_page(tmp_path, capsys):
    """Two methods, one seed, one epoch of 64 images: the page, the plot, the command,
    the machine; every run on one torch thread; --reuse keeps finished runs."""
    out = tmp_path / 'results.md'
    argv = [
        '--methods', 'kd', 'dkd', '--seeds', '0', '--epochs', '1', '--num-train', '64',
        '--jobs', '1', '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ]
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        result = main(argv)
        assert torch.get_num_threads() == bench.THREADS == 1
    finally:
        torch.set_num_threads(threads)
    text = out.read_text()
    assert (tmp_path / 'results.png').stat().st_size > 0
    assert 'A sanity table, not a paper table.' in text
    assert ('Command: `python tools/benchmark_results.py --methods kd dkd --seeds 0 '
            '--epochs 1 --num-train 64 --jobs 1`') in text
    assert f'{torch.__version__}' in text and 'cores' in text and 'Wall time:' in text
    assert '64 training images, 1733 test images' in text
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(r'^\| ([^|]+) \| ([^|]+) \|', text, re.MULTILINE)
    }
    for label in ('teacher (ResNet32x4 at 1/2 width)',
                  'student alone (ResNet8x4 at 1/16 width)', 'KD', 'DKD'):
        assert re.fullmatch(r'\d+\.\d\d \(1\)', rows[label].strip()), (label, rows)
    assert 'WRN' not in text.split('## ')[-1] and len(result['results']) == 4
    first = {job: res['top1'] for job, res in result['results'].items()}

    again = main(argv + ['--reuse'])
    assert {job: res['top1'] for job, res in again['results'].items()} == first
    assert all(res['seconds'] is None for res in again['results'].values())
    reused_page = ' '.join(out.read_text().split())
    assert 'min for 0 runs' in reused_page
    assert ('4 more runs come from an earlier run of the command (`--reuse`)'
            in reused_page)
    assert '(earlier run)' in capsys.readouterr().out
