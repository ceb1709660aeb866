"""Teacher-output cache (issue 7): replayable crop + flip (exact, CIFAR) and fixed resized
crops (consistent views, ImageNet), the cache builder, the cached distiller, and their
agreement with the online teacher."""
import copy
import os.path as osp
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

import kd_plugin  # noqa: F401
from kd_plugin.apis.teacher_cache import build_teacher_cache
from kd_plugin.datasets.transforms.replayable import (
    BOX_META_KEYS,
    VIEW_META_KEYS,
    decode_view,
    encode_view,
    random_resized_box,
)
from kd_plugin.utils.checkpoint import load_model_weights, safe_load
from kd_plugin.utils.teacher_cache import TeacherCache, expand_topk

CONFIG = str(Path(__file__).parent / 'data' / 'configs' / 'kd_synthetic.py')
PAD, SIZE, NUM_SAMPLES = 2, 16, 8
NUM_VIEWS = (2 * PAD + 1)**2 * 2  # 50
PIPELINE = [
    dict(type='RecordedRandomCrop', crop_size=SIZE, padding=PAD),
    dict(type='RecordedRandomFlip', prob=0.5),
    dict(type='PackInputs', meta_keys=VIEW_META_KEYS),
]


def _image(seed=0, size=SIZE):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def _run(transforms, image):
    results = dict(img=image.copy())
    for transform in transforms:
        results = transform(results)
    return results


# ---------------------------------------------------------------- transforms
@pytest.mark.parametrize('prob', [0.5, 0.3])
def test_recorded_transforms_draw_as_mmpretrain(prob):
    stock = [
        TRANSFORMS.build(dict(type='RandomCrop', crop_size=SIZE, padding=PAD)),
        TRANSFORMS.build(dict(type='RandomFlip', prob=prob, direction='horizontal'))
    ]
    recorded = [
        TRANSFORMS.build(dict(type='RecordedRandomCrop', crop_size=SIZE, padding=PAD)),
        TRANSFORMS.build(dict(type='RecordedRandomFlip', prob=prob))
    ]
    image = _image()
    seen = np.zeros(NUM_VIEWS, dtype=int)
    for seed in range(600):
        np.random.seed(seed)
        expected = _run(stock, image)
        state = np.random.get_state()[1].copy(), np.random.get_state()[2]
        np.random.seed(seed)
        got = _run(recorded, image)
        # Same images, same flags, and the same amount drawn from the generator.
        np.testing.assert_array_equal(got['img'], expected['img'])
        assert got['flip'] == expected['flip']
        assert got['flip_direction'] == expected['flip_direction']
        assert got['img_shape'] == expected['img_shape']
        np.testing.assert_array_equal(np.random.get_state()[1], state[0])
        assert np.random.get_state()[2] == state[1]
        assert got['num_views'] == NUM_VIEWS
        seen[got['view_id']] += 1
    assert (seen > 0).all()  # every view is reachable
    flips = seen.reshape(-1, 2).sum(0)
    assert abs(flips[1] / seen.sum() - prob) < 0.07


def test_no_padding_draws_nothing_like_mmpretrain():
    stock = TRANSFORMS.build(dict(type='RandomCrop', crop_size=SIZE))
    recorded = TRANSFORMS.build(dict(type='RecordedRandomCrop', crop_size=SIZE))
    np.random.seed(3)
    expected = stock(dict(img=_image()))
    after = np.random.get_state()[2]
    np.random.seed(3)
    got = recorded(dict(img=_image()))
    np.testing.assert_array_equal(got['img'], expected['img'])
    assert np.random.get_state()[2] == after and got['view_id'] == 0
    assert got['num_views'] == 2


def test_view_id_round_trips_to_the_parameters():
    crop = TRANSFORMS.build(dict(type='RecordedRandomCrop', crop_size=SIZE, padding=PAD))
    flip = TRANSFORMS.build(dict(type='RecordedRandomFlip', prob=0.5))
    image = _image(1)
    padded = np.pad(image, ((PAD, PAD), (PAD, PAD), (0, 0)))
    cols = 2 * PAD + 1
    for view in range(NUM_VIEWS):
        top, left, flipped = decode_view(view, cols)
        assert encode_view(top, left, flipped, cols) == view
        results = dict(img=image.copy(), replay_view=view)
        results = flip(crop(results))
        assert (results['crop_top'], results['crop_left'], results['flip']) == (top, left,
                                                                                flipped)
        assert results['view_id'] == view
        manual = padded[top:top + SIZE, left:left + SIZE]
        manual = manual[:, ::-1] if flipped else manual
        np.testing.assert_array_equal(results['img'], manual)
    # A random draw's recorded view id replays to the same image.
    np.random.seed(7)
    drawn = _run([crop, flip], image)
    again = flip(crop(dict(img=image.copy(), replay_view=drawn['view_id'])))
    np.testing.assert_array_equal(again['img'], drawn['img'])
    assert 'view_id' in VIEW_META_KEYS


# ------------------------------------------------------------------ the cache
@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """A config of the tiny KD run with replayable transforms, 8 images, and a
    teacher checkpoint (seeded random weights) to cache."""
    init_default_scope('mmpretrain')
    folder = tmp_path_factory.mktemp('cache')
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.num_samples = NUM_SAMPLES
    cfg.train_dataloader.dataset.pipeline = PIPELINE
    torch.manual_seed(0)
    teacher = MODELS.build(copy.deepcopy(cfg.model.teacher))
    teacher.init_weights()
    ckpt = str(folder / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), ckpt)
    cfg.model.teacher_ckpt = ckpt
    full = str(folder / 'full.pth')
    report = build_teacher_cache(cfg, full, batch_size=16, chunk_size=3, progress=False)
    return dict(cfg=cfg, folder=folder, full=full, report=report)


def _batch(cfg, seed=0):
    """One training batch of all 8 images, random views drawn by the pipeline."""
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    np.random.seed(seed)
    return pseudo_collate([dataset[i] for i in range(len(dataset))])


def _distillers(cfg, cache, **cached_kwargs):
    """The online distiller (teacher weights loaded) and a cached one with the same
    student weights, its cache checked against ``cfg``'s training set (what
    TeacherCacheCheckHook does before training)."""
    torch.manual_seed(1)
    # As the runner builds them: the config's data_preprocessor merged into the model.
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    online = MODELS.build(copy.deepcopy(model_cfg))
    load_model_weights(online.teacher, cfg.model.teacher_ckpt, role='teacher')
    cached_cfg = copy.deepcopy(model_cfg)
    cached_cfg.update(teacher_cache=cache, **cached_kwargs)
    cached = MODELS.build(cached_cfg)
    cached.student.load_state_dict(online.student.state_dict())
    cached.teacher_source.check_dataset(DATASETS.build(cfg.train_dataloader.dataset))
    return online.train(), cached.train()


def test_build_report_and_file(setup):
    report = setup['report']
    assert report['complete'] and report['chunks_computed'] == 3
    assert (report['num_samples'], report['num_views'], report['num_classes'],
            report['topk']) == (NUM_SAMPLES, NUM_VIEWS, 4, 0)
    assert report['bytes'] == osp.getsize(setup['full']) and report['build_s'] > 0
    assert not osp.exists(setup['full'] + '.parts')
    data = safe_load(setup['full'])  # plain content only
    assert data['logits'].dtype == torch.float16
    assert data['logits'].shape == (NUM_SAMPLES, NUM_VIEWS, 4)
    again = build_teacher_cache(setup['cfg'], setup['full'], progress=False)
    assert again['complete'] and again['chunks_computed'] == 0


def test_full_cache_loss_equals_online_on_fp16_logits(setup):
    cfg = setup['cfg']
    online, cached = _distillers(cfg, setup['full'])
    data = online.data_preprocessor(_batch(cfg), True)
    inputs, samples = data['inputs'], data['data_samples']
    views = [s.view_id for s in samples]
    assert len(set(views)) > 1

    with torch.no_grad():
        teacher_logits = online.teacher(inputs, mode='tensor')
    looked_up = cached.teacher_source.cache.lookup([s.sample_idx for s in samples], views)
    assert torch.equal(looked_up, teacher_logits.half().float())

    assert cached.teacher is None  # neither built nor loaded: it cannot run
    cached_losses = cached(inputs, samples, mode='loss')
    plain_losses = online(inputs, samples, mode='loss')
    # The online teacher with its logits rounded to fp16: the same numbers exactly.
    online.teacher.head.fc.register_forward_hook(
        lambda module, args, output: output.half().float())
    rounded_losses = online(inputs, samples, mode='loss')
    assert set(cached_losses) == set(rounded_losses) == {'loss_cls', 'loss_kd'}
    for key in cached_losses:
        assert torch.equal(cached_losses[key], rounded_losses[key]), key
    assert torch.equal(cached_losses['loss_cls'], plain_losses['loss_cls'])
    assert cached_losses['loss_kd'].item() == pytest.approx(
        plain_losses['loss_kd'].item(), rel=1e-3, abs=1e-6)
    # Gradients flow to the student as usual.
    sum(cached_losses.values()).backward()
    assert all(p.grad is not None for p in cached.student.parameters())
    # A hook that runs the teacher (TeacherEvalHook) gets it built and loaded on demand,
    # outside the model: no teacher parameters or state-dict keys appear.
    keys = set(cached.state_dict())
    torch.testing.assert_close(cached.run_teacher(inputs), teacher_logits)
    assert cached.teacher is None and set(cached.state_dict()) == keys
    assert not any('teacher' in name for name, _ in cached.named_parameters())


def test_cache_holds_the_teacher_outputs_on_its_adapted_input(setup, tmp_path):
    """With ``teacher_input`` the builder runs the teacher as the distiller does: on
    the resized, renormalised batch."""
    cfg = copy.deepcopy(setup['cfg'])
    cfg.model.teacher_input = dict(size=24, mean=[127.5] * 3, std=[127.5] * 3)
    out = str(tmp_path / 'adapted.pth')
    build_teacher_cache(cfg, out, batch_size=64, chunk_size=8, progress=False)
    online, cached = _distillers(cfg, out)
    data = online.data_preprocessor(_batch(cfg), True)
    samples = data['data_samples']
    looked_up = cached.teacher_source.cache.lookup([s.sample_idx for s in samples],
                                                   [s.view_id for s in samples])
    assert torch.equal(looked_up, online.run_teacher(data['inputs']).half().float())
    assert not torch.equal(looked_up, online.teacher(data['inputs']).half().float())


def test_interrupted_build_resumes(setup):
    cfg, out = setup['cfg'], str(setup['folder'] / 'resumed.pth')
    partial = build_teacher_cache(
        cfg, out, batch_size=32, chunk_size=3, max_chunks=1, progress=False)
    assert not partial['complete'] and not osp.exists(out)
    assert partial['chunks_computed'] == 1 and partial['bytes'] > 0
    assert len(list(Path(out + '.parts').glob('chunk_*.pth'))) == 1
    finished = build_teacher_cache(cfg, out, batch_size=32, chunk_size=3, progress=False)
    assert finished['complete']
    assert (finished['chunks_skipped'], finished['chunks_computed']) == (1, 2)
    assert torch.equal(safe_load(out)['logits'], safe_load(setup['full'])['logits'])
    # Chunks of another build are refused rather than mixed in.
    other = str(setup['folder'] / 'other.pth')
    build_teacher_cache(cfg, other, chunk_size=3, max_chunks=1, progress=False)
    with pytest.raises(ValueError, match='another build'):
        build_teacher_cache(cfg, other, topk=2, chunk_size=3, progress=False)


def test_topk_cache_expansion(setup):
    cfg, out = setup['cfg'], str(setup['folder'] / 'top2.pth')
    report = build_teacher_cache(
        cfg, out, topk=2, batch_size=64, chunk_size=8, progress=False)
    assert report['complete'] and report['topk'] == 2  # (2 + 2 bytes) x 2 per view
    data = safe_load(out)
    assert data['values'].shape == data['indices'].shape == (NUM_SAMPLES, NUM_VIEWS, 2)
    assert data['indices'].dtype == torch.int16
    full = TeacherCache(setup['full'])
    top2 = TeacherCache(out)
    idx, views = torch.arange(NUM_SAMPLES), torch.arange(NUM_SAMPLES) * 6
    exact, expanded = full.lookup(idx, views), top2.lookup(idx, views)
    best = exact.topk(2, dim=1)
    assert torch.equal(expanded.gather(1, best.indices), best.values)
    mask = torch.ones_like(exact, dtype=torch.bool).scatter_(1, best.indices, False)
    fill = best.values.min(1, keepdim=True).values - 1e4
    assert torch.equal(expanded[mask], fill.expand_as(exact)[mask])
    # KD's teacher distribution: the top-2 renormalised, exactly zero elsewhere.
    for temperature in (1.0, 4.0):
        p = F.softmax(expanded / temperature, dim=1)
        assert (p[mask] == 0).all()
        renorm = F.softmax(best.values / temperature, dim=1)
        torch.testing.assert_close(p.gather(1, best.indices), renorm)
    assert torch.equal(
        expand_topk(best.values.half(), best.indices, 4,
                    margin=5.0).gather(1, best.indices), best.values)
    # The cached distiller runs on the top-k cache (finite loss).
    _, cached = _distillers(cfg, out)
    data = cached.data_preprocessor(_batch(cfg, seed=1), True)
    losses = cached(data['inputs'], data['data_samples'], mode='loss')
    assert torch.isfinite(losses['loss_kd'])


def test_errors(setup, tmp_path):
    cfg = setup['cfg']
    feature_cfg = copy.deepcopy(cfg.model)
    feature_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    taps = dict(feats=['backbone.layer3', 'backbone.layer4'])
    feature_cfg.update(
        teacher_cache=setup['full'],
        student_taps=taps,
        teacher_taps=taps,
        distill_losses=dict(
            loss_kd=dict(type='KDLoss', temperature=4.0),
            loss_at=dict(type='ATLoss'),
            loss_pkt=dict(type='PKTLoss')))
    with pytest.raises(
            ValueError,
            match=r"\['loss_at', 'loss_pkt'\] ask for the teacher "
            r"inputs \['feats_t', 'pooled_t'\]"):
        MODELS.build(feature_cfg)
    with pytest.raises(FileNotFoundError, match='build_teacher_cache'):
        MODELS.build(
            dict(copy.deepcopy(cfg.model), teacher_cache=str(tmp_path / 'missing.pth')))
    # A stock (unrecorded) pipeline cannot be cached.
    stock = copy.deepcopy(cfg)
    stock.train_dataloader.dataset.pipeline = Config.fromfile(
        CONFIG).train_dataloader.dataset.pipeline
    with pytest.raises(ValueError, match='RandomCrop'):
        build_teacher_cache(stock, str(tmp_path / 'x.pth'), progress=False)
    # Data samples without a view id: told how to keep it.
    _, cached = _distillers(cfg, setup['full'])
    no_view = copy.deepcopy(cfg)
    no_view.train_dataloader.dataset.pipeline[-1] = dict(type='PackInputs')
    data = cached.data_preprocessor(_batch(no_view), True)
    with pytest.raises(ValueError, match='view_id'):
        cached(data['inputs'], data['data_samples'], mode='loss')


def test_command_line(setup, tmp_path, capsys):
    import importlib.util
    root = Path(__file__).parent.parent
    spec = importlib.util.spec_from_file_location(
        'build_teacher_cache_cli', root / 'tools' / 'build_teacher_cache.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    config = tmp_path / 'cached_cfg.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n'
                      f"model = dict(teacher_ckpt={setup['cfg'].model.teacher_ckpt!r})\n"
                      f'train_dataloader = dict(dataset=dict(num_samples={NUM_SAMPLES}, '
                      f'pipeline={PIPELINE!r}))\n')
    out = str(tmp_path / 'cli.pth')
    report = cli.main([str(config), '--topk', '3', '--out', out, '--batch-size', '40'])
    assert report['complete'] and report['topk'] == 3 and osp.isfile(out)
    printed = capsys.readouterr().out
    assert 'complete' in printed and 'MiB on disk' in printed and 'top-3' in printed


def test_training_run_with_cached_teacher(setup, tmp_path):
    """A real (1 epoch) runner run: view ids travel from the pipeline to the lookup."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(setup['cfg'])
    cfg.model.update(teacher_cache=setup['full'])
    cfg.default_hooks.update(teacher_cache_check=dict(type='TeacherCacheCheckHook'))
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert runner.model.teacher is None  # neither built nor loaded
    runner.train()
    assert '_standby' not in runner.model.__dict__  # nothing asked to run it
    loss_kd = runner.message_hub.get_scalar('train/loss_kd').current()
    assert np.isfinite(loss_kd) and loss_kd > 0


# --------------------------------------------- fixed resized crops (consistent views)
DRAWS, RRC_SEED = 3, 5
RRC_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='RecordedRandomResizedCrop', scale=SIZE, num_draws=DRAWS, seed=RRC_SEED),
    dict(type='RecordedRandomFlip', prob=0.5),
    dict(type='PackInputs', meta_keys=BOX_META_KEYS),
]
# (height, width) of the 8 images: every one different, some outside the 3/4..4/3 ratios.
SHAPES = [(20, 28), (32, 18), (24, 24), (40, 30), (12, 45), (26, 33), (36, 22), (19, 19)]


def _rrc(**kwargs):
    args = dict(
        type='RecordedRandomResizedCrop', scale=SIZE, num_draws=DRAWS, seed=RRC_SEED)
    return TRANSFORMS.build(dict(args, **kwargs))


@pytest.mark.parametrize('ranges', [
    dict(),
    dict(crop_ratio_range=(0.5, 1.0)),
    dict(crop_ratio_range=(0.9, 1.0), aspect_ratio_range=(2.0, 3.0), max_attempts=3)
])
def test_resized_crop_boxes_are_mmpretrain_draws(ranges):
    """Given the same generator, the box is MMPretrain RandomResizedCrop's (attempts,
    then the central fallback), drawing exactly as much; the output image is the
    stock transform's for that box."""
    stock = TRANSFORMS.build(dict(type='RandomResizedCrop', scale=SIZE, **ranges))
    args = [
        ranges.get('crop_ratio_range', (0.08, 1.0)),
        ranges.get('aspect_ratio_range', (3. / 4., 4. / 3.)),
        ranges.get('max_attempts', 10)
    ]
    for height, width in SHAPES:
        image = np.zeros((height, width, 3), dtype=np.uint8)
        for seed in range(100):
            np.random.seed(seed)
            expected = tuple(int(v) for v in stock.rand_crop_params(image))
            state = np.random.get_state()[2]
            np.random.seed(seed)
            assert random_resized_box(height, width, np.random, *args) == expected
            assert np.random.get_state()[2] == state
            if 'max_attempts' in ranges:  # no such box fits these images: the fallback
                top, left, box_h, box_w = expected
                assert (top, left) == ((height - box_h) // 2, (width - box_w) // 2)
    # The recorded transform crops and resizes as the stock one does for its box.
    recorded = _rrc(**ranges)
    image = _image(2, 40)[:, :30]
    box = recorded.crop_box(40, 30, sample_idx=4, draw=1)
    stock.rand_crop_params = lambda img: box
    expected = stock(dict(img=image.copy()))['img']
    got = recorded(dict(img=image.copy(), sample_idx=4, replay_view=2))
    np.testing.assert_array_equal(got['img'], expected)
    assert got['crop_box'] == box and got['img_shape'] == (SIZE, SIZE, 3)


def test_resized_crops_fixed_per_sample_and_valid():
    crop, other_seed = _rrc(), _rrc(seed=RRC_SEED + 1)
    for index, (height, width) in enumerate(SHAPES):
        boxes = [crop.crop_box(height, width, index, d) for d in range(DRAWS)]
        # Deterministic: the same boxes from another instance, whatever numpy's state.
        np.random.seed(index)
        assert boxes == [_rrc().crop_box(height, width, index, d) for d in range(DRAWS)]
        assert boxes != [
            other_seed.crop_box(height, width, index, d) for d in range(DRAWS)
        ]
        for top, left, box_h, box_w in boxes:
            assert 0 <= top and top + box_h <= height and 0 <= left
            assert left + box_w <= width and box_h > 0 and box_w > 0
    boxes = [
        crop.crop_box(300, 400, index, d) for index in range(50) for d in range(DRAWS)
    ]
    assert len(set(boxes)) == len(boxes)  # distinct crops
    area = np.array([h * w for _, _, h, w in boxes]) / (300 * 400)
    ratio = np.array([w / h for _, _, h, w in boxes])
    assert area.min() >= 0.07 and area.max() <= 1.0
    assert ratio.min() >= 0.73 and ratio.max() <= 1.37  # 3/4..4/3 up to rounding


def test_resized_crop_training_draws_replay():
    """Training draws a crop index and a flip from numpy's global generator (the same
    seed, the same draws); replaying the recorded view id gives the same image."""
    crop, flip = _rrc(), TRANSFORMS.build(dict(type='RecordedRandomFlip', prob=0.5))
    image = _image(3, 40)[:, :28]
    seen = set()
    for seed in range(40):
        np.random.seed(seed)
        drawn = flip(crop(dict(img=image.copy(), sample_idx=6)))
        np.random.seed(seed)
        again = flip(crop(dict(img=image.copy(), sample_idx=6)))
        assert again['view_id'] == drawn['view_id']
        view = drawn['view_id']
        assert drawn['num_views'] == 2 * DRAWS and 0 <= view < 2 * DRAWS
        assert (drawn['crop_index'], drawn['flip']) == (view // 2, bool(view % 2))
        assert drawn['crop_box'] == crop.crop_box(40, 28, 6, view // 2)
        replayed = flip(crop(dict(img=image.copy(), sample_idx=6, replay_view=view)))
        np.testing.assert_array_equal(replayed['img'], drawn['img'])
        assert replayed['crop_box'] == drawn['crop_box']
        assert replayed['view_id'] == view
        seen.add(view)
    assert seen == set(range(2 * DRAWS))
    with pytest.raises(ValueError, match='sample_idx'):
        crop(dict(img=image.copy()))
    with pytest.raises(ValueError, match='out of range'):
        crop(dict(img=image.copy(), sample_idx=0, replay_view=2 * DRAWS))
    with pytest.raises(ValueError, match='num_draws'):
        _rrc(num_draws=0)


@pytest.fixture(scope='module')
def rrc_setup(setup):
    """The tiny KD run on 8 image files of different sizes (CustomDataset, 4 class
    folders) through LoadImageFromFile -> RecordedRandomResizedCrop -> flip, and the
    full cache of its teacher (setup's checkpoint)."""
    root = setup['folder'] / 'images'
    for index, (height, width) in enumerate(SHAPES):
        image = np.random.default_rng(index).integers(
            0, 256, (height, width, 3), dtype=np.uint8)
        mmcv.imwrite(image, str(root / f'class_{index % 4}' / f'{index}.png'))
    cfg = copy.deepcopy(setup['cfg'])
    cfg.train_dataloader.dataset = dict(
        type='CustomDataset', data_root=str(root), pipeline=RRC_PIPELINE)
    full = str(setup['folder'] / 'rrc_full.pth')
    report = build_teacher_cache(cfg, full, batch_size=5, chunk_size=3, progress=False)
    return dict(cfg=cfg, full=full, report=report)


def test_resized_crop_cache_holds_every_view_and_its_box(rrc_setup):
    report, cfg = rrc_setup['report'], rrc_setup['cfg']
    assert report['complete'] and report['crop_boxes'] and report['chunks_computed'] == 3
    assert (report['num_samples'], report['num_views'],
            report['num_classes']) == (len(SHAPES), 2 * DRAWS, 4)
    assert report['bytes'] == osp.getsize(rrc_setup['full']) and report['build_s'] > 0
    data = safe_load(rrc_setup['full'])
    assert data['logits'].shape == (len(SHAPES), 2 * DRAWS, 4)
    assert data['crop_boxes'].dtype == torch.int32
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    crop = dataset.pipeline.transforms[1]
    for index in range(len(dataset)):
        height, width = mmcv.imread(dataset.get_data_info(index)['img_path']).shape[:2]
        assert data['crop_boxes'][index].tolist() == [
            list(crop.crop_box(height, width, index, d)) for d in range(DRAWS)
        ]
    # The views and boxes the cache holds are the training pipeline's.
    cache = TeacherCache(rrc_setup['full'])
    batch = _batch(cfg, seed=3)
    samples = batch['data_samples']
    assert len({s.view_id for s in samples}) > 1
    assert cache.lookup([s.sample_idx for s in samples], [s.view_id for s in samples],
                        [s.crop_box for s in samples]).shape == (len(SHAPES), 4)


def test_resized_crop_cache_loss_equals_online(rrc_setup):
    cfg = rrc_setup['cfg']
    online, cached = _distillers(cfg, rrc_setup['full'])
    data = online.data_preprocessor(_batch(cfg, seed=4), True)
    inputs, samples = data['inputs'], data['data_samples']
    assert cached.teacher is None
    cached_losses = cached(inputs, samples, mode='loss')
    online.teacher.head.fc.register_forward_hook(
        lambda module, args, output: output.half().float())
    rounded_losses = online(inputs, samples, mode='loss')
    assert set(cached_losses) == set(rounded_losses) == {'loss_cls', 'loss_kd'}
    for key in cached_losses:
        assert torch.equal(cached_losses[key], rounded_losses[key]), key


def test_resized_crop_cache_resumes_with_workers(rrc_setup, tmp_path):
    cfg, out = rrc_setup['cfg'], str(tmp_path / 'resumed.pth')
    partial = build_teacher_cache(
        cfg, out, batch_size=4, chunk_size=3, max_chunks=2, progress=False)
    assert not partial['complete'] and partial['chunks_computed'] == 2
    finished = build_teacher_cache(
        cfg, out, batch_size=7, chunk_size=3, num_workers=2, progress=False)
    assert finished['complete']
    assert (finished['chunks_skipped'], finished['chunks_computed']) == (2, 1)
    resumed, full = safe_load(out), safe_load(rrc_setup['full'])
    assert torch.equal(resumed['crop_boxes'], full['crop_boxes'])
    assert torch.equal(resumed['logits'], full['logits'])
    # Another crop seed is another build: its chunks are not mixed in.
    other = copy.deepcopy(cfg)
    other.train_dataloader.dataset.pipeline[1]['seed'] = RRC_SEED + 1
    build_teacher_cache(
        cfg, str(tmp_path / 'other.pth'), chunk_size=3, max_chunks=1, progress=False)
    with pytest.raises(ValueError, match='another build'):
        build_teacher_cache(
            other, str(tmp_path / 'other.pth'), chunk_size=3, progress=False)


def test_resized_crop_cache_mismatch_errors(setup, rrc_setup):
    cfg = rrc_setup['cfg']
    # Training with another crop seed than the cache's: refused, naming the fix.
    other = copy.deepcopy(cfg)
    other.train_dataloader.dataset.pipeline[1]['seed'] = RRC_SEED + 1
    _, cached = _distillers(cfg, rrc_setup['full'])
    data = cached.data_preprocessor(_batch(other), True)
    with pytest.raises(ValueError, match=r'crop box .*build_teacher_cache'):
        cached(data['inputs'], data['data_samples'], mode='loss')
    # A cache without boxes (built for the CIFAR pipeline) for samples with boxes:
    # the training-set check refuses it; an in-memory cache (nothing recorded to
    # check) is refused at the lookup.
    with pytest.raises(ValueError, match='another training set: type: cache'):
        _distillers(cfg, setup['full'])
    in_memory = {k: v for k, v in safe_load(setup['full']).items() if k != 'chunks'}
    in_memory.pop('provenance')
    _, cifar_cached = _distillers(cfg, TeacherCache(in_memory))
    data = cifar_cached.data_preprocessor(_batch(cfg), True)
    with pytest.raises(ValueError, match='holds none'):
        cifar_cached(data['inputs'], data['data_samples'], mode='loss')
    # Without 'crop_box' in the data samples the lookup still works (unchecked).
    unchecked = copy.deepcopy(cfg)
    unchecked.train_dataloader.dataset.pipeline[-1] = dict(
        type='PackInputs', meta_keys=VIEW_META_KEYS)
    data = cached.data_preprocessor(_batch(unchecked), True)
    assert torch.isfinite(
        cached(data['inputs'], data['data_samples'], mode='loss')['loss_kd'])
    # Pipelines a cache cannot replay.
    for pipeline, match in (([
            dict(type='LoadImageFromFile'),
            dict(type='RandomResizedCrop', scale=SIZE), *RRC_PIPELINE[2:]
    ], 'RandomResizedCrop'), ([
            *RRC_PIPELINE[:2],
            dict(type='RecordedRandomCrop', crop_size=SIZE), *RRC_PIPELINE[2:]
    ], 'several recorded crops')):
        bad = copy.deepcopy(cfg)
        bad.train_dataloader.dataset.pipeline = pipeline
        with pytest.raises(ValueError, match=match):
            build_teacher_cache(bad, str(setup['folder'] / 'bad.pth'), progress=False)


def test_training_run_with_resized_crop_cache(rrc_setup, tmp_path):
    """A real runner epoch: crop boxes travel through the DataLoader and are checked."""
    from mmengine.runner import Runner
    cfg = copy.deepcopy(rrc_setup['cfg'])
    cfg.model.update(teacher_cache=rrc_setup['full'])
    cfg.default_hooks.update(teacher_cache_check=dict(type='TeacherCacheCheckHook'))
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert runner.model.teacher is None  # neither built nor loaded
    runner.train()
    assert '_standby' not in runner.model.__dict__  # nothing asked to run it
    assert np.isfinite(runner.message_hub.get_scalar('train/loss_kd').current())
