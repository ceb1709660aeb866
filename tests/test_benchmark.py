"""tools/benchmark.py: the report's structure (no timing assertions: CI machines vary)."""
import json
import math
from pathlib import Path

import pytest
from tool_modules import load_tool

from kd_plugin.apis.benchmark import VARIANTS, format_table, run_benchmark

main = load_tool('tools/benchmark.py').main

CONFIG = str(Path(__file__).parent / 'data' / 'configs' / 'kd_synthetic.py')


def _positive_finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.fixture(scope='module')
def report():
    return run_benchmark(CONFIG, iters=2, warmup=1)


def test_report_structure(report):
    assert report['config'] == CONFIG
    assert report['batch_size'] == 8  # the config's train batch size
    assert report['image_size'] == 16  # what the config's pipeline crops
    assert report['num_views'] == 1 and report['iters'] == 2 and report['warmup'] == 1
    assert set(report['variants']) == set(VARIANTS)
    assert report['memory_method'] and 'subprocess' in report['memory_method']
    assert report['cache'] == dict(
        applicable=True, status='implemented, timed', why=report['cache']['why'])
    assert report['losses_finite']


def test_numbers_positive_and_finite(report):
    for name, variant in report['variants'].items():
        for key in ('median_s', 'images_per_s', 'min_s', 'max_s', 'median_cpu_s',
                    'peak_mem_mib'):
            assert _positive_finite(variant[key]), (name, key, variant[key])
        assert variant['finite'] and math.isfinite(variant['last_value'])
        assert variant['images_per_s'] == pytest.approx(8 / variant['median_s'])
    assert _positive_finite(report['ratio_distill_over_student_plus_teacher'])
    assert _positive_finite(report['ratio_cpu_time'])
    assert _positive_finite(report['ratio_memory'])


def test_table_lists_every_variant(report):
    table = format_table(report)
    assert table.startswith('| variant |')
    for name in VARIANTS:
        assert f'| {name} |' in table
    assert 'cache: implemented, timed' in table
    assert 'memory distill / (student + teacher forward) = ' in table


def test_cli_amp_and_json(tmp_path, capsys):
    out = tmp_path / 'report.json'
    main([
        CONFIG, '--iters', '2', '--warmup', '0', '--batch-size', '4', '--image-size',
        '24', '--amp', '--channels-last', '--no-memory', '--out',
        str(out)
    ])
    saved = json.loads(out.read_text())
    assert saved['amp'] and saved['amp_dtype'] == 'bfloat16' and saved['channels_last']
    assert saved['ratio_memory'] is None  # --no-memory
    assert saved['batch_size'] == 4 and saved['image_size'] == 24
    assert saved['losses_finite']
    assert all(_positive_finite(v['median_s']) for v in saved['variants'].values())
    assert '| distill |' in capsys.readouterr().out


def test_compiled_variants_and_their_compile_time_are_reported():
    """--compile adds every variant compiled (interleaved with the eager ones), times
    its first, compiling call apart and reports compiled / eager ratios (aot_eager here:
    it traces what inductor compiles, without code generation)."""
    report = run_benchmark(
        CONFIG,
        iters=1,
        warmup=0,
        batch_size=2,
        memory=False,
        compile_cfg=dict(backend='aot_eager'))
    for name in VARIANTS:
        compiled = report['variants'][f'{name}_compiled']
        assert _positive_finite(compiled['compile_s']) and compiled['finite']
        assert _positive_finite(report['ratio_compiled_over_eager_cpu'][name])
        assert 'compile_s' not in report['variants'][name]
    assert _positive_finite(report['ratio_compiled_cpu_time'])
    table = format_table(report)
    assert '| distill_compiled |' in table and 'compiled / eager (CPU time)' in table


def test_data_and_runner_costs_are_reported():
    """--data times making a batch in this process, --runner-iters a real runner's
    iteration; both are reported over the distill step."""
    report = run_benchmark(
        CONFIG,
        iters=1,
        warmup=0,
        batch_size=2,
        memory=False,
        cached=False,
        data=True,
        runner_iters=3)
    assert report['variants']['data']['finite']
    assert _positive_finite(report['ratio_data_over_distill'])
    assert _positive_finite(report['runner_iter_s'])
    assert _positive_finite(report['ratio_runner_over_distill'])
    table = format_table(report)
    assert 'making one batch in this process' in table and "MMEngine runner's" in table
