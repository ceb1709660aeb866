"""Teacher-output caches that know what they were built from (issue 14): each way a
cache can be wrong for a run is refused with the culprit and the rebuild command named,
before training; matching caches still load and train.

The setup: the tiny synthetic KD run (8 images, RecordedRandomCrop padding 2 + flip: 50
views) and two teacher checkpoints with different seeded random weights."""
import copy
import os
import os.path as osp
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, MODELS
from tool_modules import load_tool

import kd_plugin  # noqa: F401
from kd_plugin.apis import teacher_cache as builder
from kd_plugin.apis.teacher_cache import SampleViews, build_teacher_cache
from kd_plugin.datasets.transforms.replayable import VIEW_META_KEYS
from kd_plugin.utils import provenance
from kd_plugin.utils.checkpoint import load_model_weights, safe_load, save_atomic
from kd_plugin.utils.provenance import (
    checkpoint_sha256,
    dataset_identity,
    state_dict_sha256,
)
from kd_plugin.utils.teacher_cache import (
    FORMAT,
    TeacherCache,
    TeacherCacheError,
    chunk_sha256,
    expand_topk,
)

CONFIG = str(Path(__file__).parent / 'data' / 'configs' / 'kd_synthetic.py')
NUM_SAMPLES, NUM_VIEWS, CHUNK = 8, 50, 3
PIPELINE = [
    dict(type='RecordedRandomCrop', crop_size=16, padding=2),
    dict(type='RecordedRandomFlip', prob=0.5),
    dict(type='PackInputs', meta_keys=VIEW_META_KEYS),
]
REBUILD = 'python tools/build_teacher_cache.py'


def _cfg(ckpt, num_samples=NUM_SAMPLES, seed=0):
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.update(
        num_samples=num_samples, seed=seed, pipeline=copy.deepcopy(PIPELINE))
    cfg.model.teacher_ckpt = ckpt
    cfg.default_hooks.update(teacher_cache_check=dict(type='TeacherCacheCheckHook'))
    return cfg


def _teacher_ckpt(cfg, path, seed):
    torch.manual_seed(seed)
    teacher = MODELS.build(copy.deepcopy(cfg.model.teacher))
    teacher.init_weights()
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict(seed=seed)), path)
    return str(path)


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """Checkpoints A and B, and the full cache of teacher A over the 8 images."""
    init_default_scope('mmpretrain')
    folder = tmp_path_factory.mktemp('reliability')
    cfg = _cfg(None)
    ckpt_a = _teacher_ckpt(cfg, folder / 'teacher_a.pth', 0)
    ckpt_b = _teacher_ckpt(cfg, folder / 'teacher_b.pth', 1)
    cfg.model.teacher_ckpt = ckpt_a
    full = str(folder / 'full.pth')
    build_teacher_cache(cfg, full, batch_size=64, chunk_size=CHUNK, progress=False)
    return SimpleNamespace(
        folder=folder, cfg=cfg, ckpt_a=ckpt_a, ckpt_b=ckpt_b, full=full)


def _model_cfg(cfg, cache, **changes):
    """The cached distiller's config as the runner builds it (the config's
    data_preprocessor merged in)."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    model_cfg.update(teacher_cache=cache, **changes)
    return model_cfg


def _runner(cfg, cache, work_dir):
    cfg = copy.deepcopy(cfg)
    cfg.model.teacher_cache = cache
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.work_dir = str(work_dir)
    return Runner.from_cfg(cfg)


def _train_refused(runner, match):
    """runner.train() raises ``match`` before any optimizer step."""
    with pytest.raises(TeacherCacheError, match=match) as error:
        runner.train()
    assert runner.iter == 0 and not runner.optim_wrapper.optimizer.state
    return str(error.value)


def _copy(src, folder, name):
    dst = str(folder / name)
    shutil.copyfile(src, dst)
    return dst


# ------------------------------------------------------------------ provenance
def test_the_cache_records_what_it_was_built_from(built):
    data = safe_load(built.full)
    assert data['format'] == FORMAT
    record = data['provenance']
    dataset = record['dataset']
    assert (dataset['type'], dataset['length']) == ('SyntheticClsDataset', NUM_SAMPLES)
    assert len(dataset['data_list_sha256']) == 64
    assert [line.split('(')[0] for line in dataset['pipeline']
            ] == ['RecordedRandomCrop', 'RecordedRandomFlip']
    assert dataset['recorded_crop']['padding'] == 2
    teacher = record['teacher']
    assert teacher['ckpt'] == built.ckpt_a
    assert teacher['weights_sha256'] == state_dict_sha256(
        torch.load(built.ckpt_a, weights_only=True)['state_dict'])
    assert (teacher['precision'], teacher['input']) == ('auto', 'null')
    assert '"depth": 18' in teacher['config']
    assert (record['num_views'], record['num_classes'], record['topk']) == (NUM_VIEWS, 4,
                                                                            0)
    assert 'crop_index * 2 + flip' in record['view_encoding']
    assert [(c['start'], c['stop']) for c in data['chunks']] == [(0, 3), (3, 6), (6, 8)]
    for chunk in data['chunks']:
        rows = data['logits'][chunk['start']:chunk['stop']]
        assert chunk['sha256'] == chunk_sha256(dict(logits=rows))


def test_weights_hash_is_of_the_tensors_not_the_file(built, tmp_path):
    """The same tensors re-saved (plain state dict, other metadata) hash the same; one
    changed weight does not."""
    state = torch.load(built.ckpt_a, weights_only=True)['state_dict']
    torch.save(dict(state), tmp_path / 'plain.pth')
    assert checkpoint_sha256(str(tmp_path / 'plain.pth')) == checkpoint_sha256(
        built.ckpt_a)
    state['head.fc.bias'] = state['head.fc.bias'] + 1e-3
    torch.save(state, tmp_path / 'changed.pth')
    assert checkpoint_sha256(str(tmp_path / 'changed.pth')) != checkpoint_sha256(
        built.ckpt_a)


class ListDataset(BaseDataset):
    """Annotation-file-like samples (img_path, gt_label) under a data root."""

    def __init__(self, items, data_root):
        self.items = items
        super().__init__(ann_file='', data_root=data_root, serialize_data=True)

    def load_data_list(self):
        return [
            dict(img_path=osp.join(self.data_root, path), gt_label=np.int64(label))
            for path, label in self.items
        ]


def test_dataset_fingerprint_sees_order_and_samples_not_the_root():
    items = [(f'train/{i}.png', i % 3) for i in range(6)]
    identity = dataset_identity(ListDataset(items, '/data/a'))
    # Moved to another root: the same training set.
    assert dataset_identity(ListDataset(
        items, '/mnt/b'))['data_list_sha256'] == identity['data_list_sha256']
    for other in (items[::-1], items[:5], items[:5] + [('train/x.png', 2)],
                  items[:5] + [('train/5.png', 0)]):
        assert dataset_identity(ListDataset(
            other, '/data/a'))['data_list_sha256'] != identity['data_list_sha256']


# ------------------------------------------------------- the table's cache rows
def test_cache_of_another_training_set_is_refused_before_training(built, tmp_path):
    """Row 'teacher cache built for another training set (other seed, or 32 of 16
    samples) used for training'."""
    other_seed = _cfg(built.ckpt_a, seed=1)
    message = _train_refused(
        _runner(other_seed, built.full, tmp_path / 'seed'), r'another training set: '
        r'data_list_sha256: cache [0-9a-f]+, this run [0-9a-f]+')
    assert built.full in message and REBUILD in message
    fewer = _cfg(built.ckpt_a, num_samples=4)
    _train_refused(
        _runner(fewer, built.full, tmp_path / 'fewer'),
        rf'length: cache {NUM_SAMPLES}, this run 4.*{REBUILD}')
    # Another crop seed for the same images: the recorded crop differs.
    other_crop = copy.deepcopy(built.cfg)
    other_crop.train_dataloader.dataset.pipeline[0]['padding'] = 1
    _train_refused(
        _runner(other_crop, built.full, tmp_path / 'crop'),
        r'pipeline: cache .*recorded_crop.padding: cache 2, this run 1')


def test_unchecked_training_set_refuses_the_first_step(built, tmp_path):
    """Without TeacherCacheCheckHook nothing trains on an unverified cache."""
    cfg = copy.deepcopy(built.cfg)
    cfg.default_hooks.pop('teacher_cache_check')
    _train_refused(_runner(cfg, built.full, tmp_path), 'TeacherCacheCheckHook')


def test_cache_of_another_teacher_checkpoint_is_refused_at_build(built, tmp_path):
    """Row 'cache built with teacher checkpoint A, config names checkpoint B'."""
    with pytest.raises(TeacherCacheError) as error:
        MODELS.build(_model_cfg(built.cfg, built.full, teacher_ckpt=built.ckpt_b))
    message = str(error.value)
    assert 'another teacher: weights_sha256: cache' in message
    assert f'ckpt: cache {built.ckpt_a}, this run {built.ckpt_b}' in message
    assert REBUILD in message and built.full in message
    # The same tensors under another file name are the same teacher.
    resaved = str(tmp_path / 'resaved.pth')
    torch.save(torch.load(built.ckpt_a, weights_only=True)['state_dict'], resaved)
    MODELS.build(_model_cfg(built.cfg, built.full, teacher_ckpt=resaved))
    # The teacher's other inputs: its path to the logits.
    for changes, match in ((dict(teacher_precision='bf16'), 'precision: cache auto'),
                           (dict(teacher_input=dict(size=24)), 'input: cache null'),
                           (dict(teacher_ckpt=None), 'weights_sha256: cache [0-9a-f]+, '
                            'this run null')):
        with pytest.raises(TeacherCacheError, match=match):
            MODELS.build(_model_cfg(built.cfg, built.full, **changes))
    other_arch = _model_cfg(built.cfg, built.full)
    other_arch.teacher.backbone.depth = 34
    with pytest.raises(TeacherCacheError, match='config: cache'):
        MODELS.build(other_arch)
    other_norm = _model_cfg(built.cfg, built.full)
    other_norm.data_preprocessor.std = [32.0] * 3
    with pytest.raises(TeacherCacheError, match='input_encoding: cache'):
        MODELS.build(other_norm)


def _flip_a_logit_bit(built, folder, sample=5, view=3, klass=1):
    """A copy of the cache with one exponent bit of one stored logit flipped; the
    value before and after."""
    path = _copy(built.full, folder, 'flipped.pth')
    logits = safe_load(built.full)['logits']
    raw = bytearray(Path(path).read_bytes())
    row = logits[sample].numpy().tobytes()
    start = raw.find(row)
    assert start >= 0 and raw.find(row, start + 1) < 0
    raw[start + 2 * (view * 4 + klass) + 1] ^= 0x20
    Path(path).write_bytes(bytes(raw))
    flipped = torch.load(path, weights_only=True)['logits'][sample, view, klass]
    return path, float(logits[sample, view, klass]), float(flipped)


@pytest.mark.parametrize('verify', ['auto', 'full', 'lazy'])
def test_a_flipped_bit_is_refused_naming_the_chunk(built, tmp_path, verify):
    """Row 'one bit flipped in a stored logit'."""
    path, before, after = _flip_a_logit_bit(built, tmp_path)
    assert np.isfinite(after) and after != before  # only a checksum can tell
    match = (rf'{path}, chunk 1 \(samples 3..5 of 8\): the stored bytes do not match '
             rf'their checksum .* {REBUILD} CONFIG --out {path}')
    if verify != 'lazy':
        with pytest.raises(TeacherCacheError, match=match):
            TeacherCache(path, verify=verify)
        return
    cache = TeacherCache(path, verify='lazy')
    cache.lookup([0, 2, 6, 7], [1, 2, 3, 4])  # chunks 0 and 2 are intact
    with pytest.raises(TeacherCacheError, match=match):
        cache.lookup([1, 4], [0, 0])  # sample 4 is in the flipped chunk
    # The distiller (cache opened in full, it is small) refuses it when built.
    with pytest.raises(TeacherCacheError, match=match):
        MODELS.build(_model_cfg(built.cfg, path))


def test_non_finite_logits_are_refused(built):
    data = dict(safe_load(built.full))
    logits = data['logits'].clone()
    logits[6, 0, 0] = float('inf')
    chunks = [dict(c) for c in data['chunks']]
    chunks[2]['sha256'] = chunk_sha256(dict(logits=logits[6:8]))  # a valid checksum
    data.update(logits=logits, chunks=chunks)
    with pytest.raises(
            TeacherCacheError, match=r'chunk 2 .*non-finite logits at '
            r'samples \[6\]'):
        TeacherCache(data)


def test_a_truncated_cache_is_refused_naming_the_file(built, tmp_path):
    """Row 'cache file truncated'."""
    path = str(tmp_path / 'truncated.pth')
    raw = Path(built.full).read_bytes()
    Path(path).write_bytes(raw[:len(raw) // 2])
    match = rf'{path} cannot be read .*truncated or corrupt.* {REBUILD}'
    with pytest.raises(TeacherCacheError, match=match):
        TeacherCache(path)
    with pytest.raises(TeacherCacheError, match=match):
        MODELS.build(_model_cfg(built.cfg, path))


def test_a_build_finished_with_another_seed_refuses_to_merge(built, tmp_path):
    """Row 'a build stopped half way, finished with another dataset seed'."""
    out = str(tmp_path / 'resumed.pth')
    partial = build_teacher_cache(
        built.cfg, out, chunk_size=CHUNK, max_chunks=1, progress=False)
    assert not partial['complete']
    other_seed = _cfg(built.ckpt_a, seed=1)
    with pytest.raises(
            TeacherCacheError,
            match=r'chunk_00000000_00000003.pth belongs '
            r'to another build: dataset.data_list_sha256: chunk'):
        build_teacher_cache(other_seed, out, chunk_size=CHUNK, progress=False)
    assert not osp.exists(out)
    # --overwrite discards the other build's chunk: all computed for the new seed.
    report = build_teacher_cache(
        other_seed, out, chunk_size=CHUNK, progress=False, overwrite=True)
    assert report['complete'] and report['chunks_computed'] == 3
    fresh = str(tmp_path / 'fresh.pth')
    build_teacher_cache(other_seed, fresh, chunk_size=4, progress=False)
    assert torch.equal(safe_load(out)['logits'], safe_load(fresh)['logits'])
    assert not torch.equal(safe_load(out)['logits'], safe_load(built.full)['logits'])


def test_a_build_onto_an_output_of_another_set_refuses(built, tmp_path, capsys):
    """Row 'builder run for a 64-sample set onto an existing 32-sample output'."""
    cli = load_tool('tools/build_teacher_cache.py')
    config = tmp_path / 'more.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n'
                      f'model = dict(teacher_ckpt={built.ckpt_a!r})\n'
                      f'train_dataloader = dict(dataset=dict(num_samples=12, '
                      f'pipeline={PIPELINE!r}))\n')
    out = _copy(built.full, tmp_path, 'out.pth')
    with pytest.raises(
            TeacherCacheError,
            match=r'exists and was built from other '
            r'inputs than this config: .*dataset.length: existing file 8, '
            r'this config 12.*--overwrite'):
        cli.main([str(config), '--out', out])
    assert Path(out).read_bytes() == Path(built.full).read_bytes()  # untouched
    report = cli.main([str(config), '--out', out, '--overwrite'])
    assert report['complete'] and report['num_samples'] == 12
    assert TeacherCache(out).num_samples == 12
    assert 'complete' in capsys.readouterr().out
    # The same build again is complete; a broken output is refused, not reported.
    assert cli.main([str(config), '--out', out])['chunks_computed'] == 0
    Path(out).write_bytes(Path(out).read_bytes()[:1000])
    with pytest.raises(TeacherCacheError, match='exists but is unusable'):
        cli.main([str(config), '--out', out])


def test_writes_are_atomic(built, tmp_path, monkeypatch):
    """A write that fails half way leaves the old file and no partial one."""
    target = tmp_path / 'file.pth'
    save_atomic(dict(value=torch.ones(3)), str(target))
    real_save = torch.save

    def dies_half_way(obj, file, *args, **kwargs):
        real_save(obj, file, *args, **kwargs)
        file.truncate(10)
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(provenance.torch, 'save', dies_half_way)
    with pytest.raises(OSError, match='No space'):
        save_atomic(dict(value=torch.zeros(3)), str(target))
    monkeypatch.undo()
    assert torch.equal(torch.load(target, weights_only=True)['value'], torch.ones(3))
    assert os.listdir(tmp_path) == ['file.pth']
    # A build killed in its second chunk leaves one complete chunk file, which the
    # next run reuses.
    out = str(tmp_path / 'killed.pth')
    real_compute = builder.compute_chunk
    calls = []

    def killed(plan, start, *args):
        calls.append(start)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_compute(plan, start, *args)

    monkeypatch.setattr(builder, 'compute_chunk', killed)
    with pytest.raises(KeyboardInterrupt):
        build_teacher_cache(built.cfg, out, chunk_size=CHUNK, progress=False)
    monkeypatch.undo()
    assert sorted(os.listdir(out + '.parts')) == ['chunk_00000000_00000003.pth']
    report = build_teacher_cache(built.cfg, out, chunk_size=CHUNK, progress=False)
    assert (report['chunks_skipped'], report['chunks_computed']) == (1, 2)
    assert torch.equal(safe_load(out)['logits'], safe_load(built.full)['logits'])


# ---------------------------------------------------------------- happy path
def test_matching_cache_trains_and_checks_once(built, tmp_path, monkeypatch):
    """A matching cache loads and trains; the training set is identified once per run
    and each chunk verified once, nothing per step."""
    from kd_plugin.models.distillers import teacher_sources
    identities, verified = [], []
    monkeypatch.setattr(teacher_sources, 'dataset_identity',
                        lambda dataset: identities.append(1) or dataset_identity(dataset))
    real_verify = TeacherCache._verify_chunk
    monkeypatch.setattr(
        TeacherCache, '_verify_chunk',
        lambda self, index: verified.append(index) or real_verify(self, index))
    runner = _runner(built.cfg, built.full, tmp_path)
    runner.train()
    assert runner.iter == 1 and len(identities) == 1 and verified == [0, 1, 2]
    assert np.isfinite(runner.message_hub.get_scalar('train/loss_kd').current())


def test_cache_holds_the_runner_models_teacher_outputs(built):
    """The builder runs the teacher on the inputs the runner's model sees: the
    config's top-level data_preprocessor (normalisation) included."""
    assert 'data_preprocessor' not in built.cfg.model and built.cfg.data_preprocessor
    online = MODELS.build(_model_cfg(built.cfg, None))
    load_model_weights(online.teacher, built.ckpt_a, role='teacher')
    dataset = DATASETS.build(built.cfg.train_dataloader.dataset)
    views, _ = SampleViews(dataset, [5])[0]
    data = online.data_preprocessor(pseudo_collate(views), False)
    expected = online.run_teacher(data['inputs']).half().float()
    looked_up = TeacherCache(built.full).lookup([5] * NUM_VIEWS, range(NUM_VIEWS))
    assert torch.equal(looked_up, expected)


def test_every_view_lookup_matches_the_teacher_on_that_view(built, tmp_path):
    """Full and top-k lookups of every (sample, view), odd (flipped) view ids
    included, equal the teacher's logits of that replayed view: a lookup that drops
    the flip bit fails here."""
    topk = str(tmp_path / 'top2.pth')
    build_teacher_cache(built.cfg, topk, topk=2, chunk_size=CHUNK, progress=False)
    online = MODELS.build(_model_cfg(built.cfg, None))
    load_model_weights(online.teacher, built.ckpt_a, role='teacher')
    dataset = DATASETS.build(built.cfg.train_dataloader.dataset)
    full, top2 = TeacherCache(built.full), TeacherCache(topk)
    views = torch.arange(NUM_VIEWS)
    for sample in range(NUM_SAMPLES):
        packed, _ = SampleViews(dataset, [sample])[0]
        data = online.data_preprocessor(pseudo_collate(packed), False)
        teacher = online.run_teacher(data['inputs']).half().float()
        assert not torch.equal(teacher[0::2], teacher[1::2])  # flips differ
        ids = torch.full((NUM_VIEWS, ), sample)
        assert torch.equal(full.lookup(ids, views), teacher)
        best = teacher.topk(2, dim=1)
        expected = expand_topk(best.values, best.indices, 4)
        assert torch.equal(top2.lookup(ids, views), expected)
