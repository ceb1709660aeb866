"""`make demo`: its README table reproduces on any machine (one fixed torch thread) and
is the demo's own output, rewritten between the README's markers."""
import os
import re
import shutil

import pytest
import torch
from tool_modules import ROOT, load_tool

demo = load_tool('tools/demo.py')
TEACHER = re.compile(r'\| (.+) \| ([\d,]+) \| (\d+\.\d\d) \| (\d+\.\d\d) \|')
STATS = r'(\d+\.\d\d) ± \d+\.\d\d \({seeds}\)'
STUDENT = r'\| (.+) \| ([\d,]+) \| {stats} \| {stats} \|'


def marked_block(text: str) -> str:
    assert text.count(demo.README_BEGIN) == 1 and text.count(demo.README_END) == 1
    start = text.index(demo.README_BEGIN) + len(demo.README_BEGIN)
    return text[start:text.index(demo.README_END)]


def check_table(block: str, epochs: int, seeds: int) -> list:
    """The demo's table: the teacher once, the students as mean ± std over the seeds,
    then the mean KD gain with each seed's."""
    lines = block.strip().splitlines()
    assert lines[:2] == [
        '| model | parameters | final top-1 | best top-1 |', '|---|---|---|---|'
    ]
    student = re.compile(STUDENT.format(stats=STATS.format(seeds=seeds)))
    rows = [TEACHER.fullmatch(lines[2])
            ] + [student.fullmatch(line) for line in lines[3:5]]
    assert all(rows), lines[2:5]
    assert [row.group(1) for row in rows] == [name for _, name, _, _ in demo.STEPS]
    for row in rows:
        assert 0 <= float(row.group(3)) <= float(row.group(4)) <= 100
    assert rows[1].group(2) == rows[2].group(2)  # the same student, alone and distilled
    assert lines[5] == '' and lines[6].startswith(
        "KD changes the student's final top-1 by ")
    gains = re.search(r'per seed: ([^;]+);', lines[6]).group(1).split(', ')
    assert len(gains) == seeds
    mean = float(re.search(r'by ([+-]\d+\.\d\d) points on average', lines[6]).group(1))
    assert mean == pytest.approx(sum(map(float, gains)) / seeds, abs=0.011)
    assert f'{epochs} epoch' in lines[6] and ', 1 torch thread, ' in lines[6]
    return rows


def test_readme_table_is_the_demos_output():
    """The README's table has the shape the demo writes, for its default run."""
    with open(ROOT / 'README.md') as file:
        check_table(marked_block(file.read()), demo.EPOCHS, demo.SEEDS)


def test_short_demo_fixes_threads_and_rewrites_only_its_table(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    shutil.copy(ROOT / 'README.md', readme)
    before = readme.read_text()
    monkeypatch.setenv('OMP_NUM_THREADS', '3')  # what a user's shell may say
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        result = demo.main([
            '--epochs', '1', '--seeds', '2', '--work-dir',
            str(tmp_path / 'work'), '--readme',
            str(readme)
        ])
        assert result['threads'] == 1 == torch.get_num_threads()
        assert os.environ['OMP_NUM_THREADS'] == os.environ['MKL_NUM_THREADS'] == '1'
    finally:
        torch.set_num_threads(threads)
    after = readme.read_text()
    block = marked_block(after)
    assert block == '\n' + result['table']
    check_table(block, epochs=1, seeds=2)
    assert after.replace(block, '') == before.replace(marked_block(before), '')
    assert (tmp_path / 'work' / 'curves.png').stat().st_size > 0
    assert sorted(os.listdir(tmp_path /
                             'work')) == ['curves.png', 'kd', 'student', 'teacher']
