"""tools/gpu_check.py runs on a machine without CUDA: its CPU rows run, the CUDA-only
rows are listed as skipped, and the table and report are written."""
import json

from tool_modules import load_tool


def test_gpu_check_runs_its_cpu_rows_and_skips_the_cuda_ones(tmp_path):
    rows = load_tool('tools/gpu_check.py').main(
        ['--device', 'cpu', '--quick', '--out',
         str(tmp_path)])
    status = {(r['check'].split(',')[0], r['mode']): r['status'] for r in rows}
    pair = 'DKD resnet32x4 -> resnet8x4'
    for mode in ('fp32', 'bf16', 'channels_last', 'compile'):
        assert status[(pair, mode)] == 'ok', (mode, status)
    assert status[(pair, 'amp')].startswith('skipped: fp16')
    assert status[('dist_train.sh', 'fp32')].startswith('skipped: NCCL')
    assert status[('teacher-cache build (synthetic', 'fp32')] == 'ok'
    compiled = next(r for r in rows if r['mode'] == 'compile')
    assert compiled['compile_s'] > 0 and compiled['compiled_over_eager'] > 0
    assert json.loads((tmp_path / 'report.json').read_text()) == rows
    table = (tmp_path / 'table.md').read_text()
    assert table.startswith('GPU check on CPU') and '| compile |' in table
