"""SSKD: both phases against SSKD's terms written out in float64 (cosine matrices,
ranks by sorting, the kept rows, batch-mean KL), which head trains in each phase, and
the rotated views as samples of one batch (Rot90, ViewsAsSamplesDataPreprocessor)."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS, TRANSFORMS

from kd_plugin.models.dis_losses.sskd import kept_rows, masked_mean_kl
from kd_plugin.utils.vocabulary import BATCH_INPUTS

IMAGES, VIEWS, CLASSES = 4, 4, 5


def batch(seed=0, grad=False, width_s=6, width_t=7):
    """Logits and pooled vectors of IMAGES x VIEWS rows, image by image."""
    generator = torch.Generator().manual_seed(seed)
    rows = IMAGES * VIEWS

    def draw(*shape):
        return torch.randn(
            *shape, generator=generator, dtype=torch.float64).mul(2).requires_grad_(grad)

    return dict(
        logits_s=draw(rows, CLASSES),
        logits_t=draw(rows, CLASSES),
        pooled_s=draw(rows, width_s),
        pooled_t=draw(rows, width_t),
        target=torch.arange(IMAGES).repeat_interleave(VIEWS) % CLASSES,
        view_idx=torch.arange(VIEWS).repeat(IMAGES))


def build(**kwargs):
    return MODELS.build(
        dict(type='SSKDLoss', student_channels=6, teacher_channels=7, **kwargs)).double()


def log_softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def kl_rows(student, teacher, temperature):
    """Per-row T^2 KL(softmax(t / T) || softmax(s / T))."""
    log_p, log_q = log_softmax(teacher / temperature), log_softmax(student / temperature)
    return (np.exp(log_p) * (log_p - log_q)).sum(axis=1) * temperature**2


def cosine(rotated, upright):
    out = np.zeros((len(rotated), len(upright)))
    for i, a in enumerate(rotated):
        for j, o in enumerate(upright):
            out[i, j] = a @ o / np.linalg.norm(a) / np.linalg.norm(o)
    return out


def rank(row, true):
    """Position of entry ``true`` when the row is sorted largest first."""
    return sorted(range(len(row)), key=lambda c: -row[c]).index(true)


def kept(ranks, ratio):
    wrong = [i for i, r in enumerate(ranks) if r > 0]
    right = [i for i, r in enumerate(ranks) if r == 0]
    best_wrong = sorted(wrong, key=lambda i: ranks[i])[:int(len(wrong) * ratio)]
    return sorted(right + best_wrong)


def numpy_of(tensor):
    return tensor.detach().numpy()


@pytest.mark.parametrize('tf_keep_ratio, ss_keep_ratio', [(1.0, 0.75), (0.5, 0.25)])
def test_student_phase_matches_the_written_out_terms(tf_keep_ratio, ss_keep_ratio):
    loss = build(tf_keep_ratio=tf_keep_ratio, ss_keep_ratio=ss_keep_ratio)
    inputs = batch(seed=1)
    upright = np.arange(IMAGES * VIEWS) % VIEWS == 0
    own = np.arange(IMAGES * VIEWS)[~upright] // VIEWS
    labels = numpy_of(inputs['target'])
    z_s, z_t = numpy_of(inputs['logits_s']), numpy_of(inputs['logits_t'])
    rep_s = numpy_of(loss.student_head(inputs['pooled_s']))
    rep_t = numpy_of(loss.teacher_head(inputs['pooled_t']))

    ce = -log_softmax(z_s[upright])[np.arange(IMAGES), labels[upright]].mean()
    kd = kl_rows(z_s[upright], z_t[upright], 4.0).mean()
    ranks_tf = [rank(row, y) for row, y in zip(z_t[~upright], labels[~upright])]
    rows_tf = kept(ranks_tf, tf_keep_ratio)
    tf = kl_rows(z_s[~upright][rows_tf], z_t[~upright][rows_tf], 4.0).mean()
    sim_s = cosine(rep_s[~upright], rep_s[upright])
    sim_t = cosine(rep_t[~upright], rep_t[upright])
    rows_ss = kept([rank(row, o) for row, o in zip(sim_t, own)], ss_keep_ratio)
    assert 0 < len(rows_ss) < len(own)  # the selection drops some rows here
    ss = kl_rows(sim_s[rows_ss], sim_t[rows_ss], 0.5).mean()
    expected = 0.1 * ce + 0.9 * kd + 2.7 * tf + 10.0 * ss

    value = loss(**inputs)
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('ratio', [0.0, 0.25, 1 / 3, 0.7, 0.75, 1.0])
def test_kept_rows_is_a_mask_of_the_written_out_selection(ratio):
    """The row mask, computed on the device (no host sync), selects the rows of the
    written-out rule, ties by row order included; with no row kept the term is 0."""
    generator = torch.Generator().manual_seed(4)
    for size in range(1, 30):
        ranks = torch.randint(4, [size], generator=generator)
        mask = kept_rows(ranks, ratio)
        assert mask.dtype == torch.bool
        assert mask.nonzero()[:, 0].tolist() == kept(ranks.tolist(), ratio)
    logits = torch.randn(3, CLASSES, dtype=torch.float64, requires_grad=True)
    all_wrong = torch.ones(3, dtype=torch.long)
    none = masked_mean_kl(logits, logits + 1, 4.0, kept_rows(all_wrong, 0.0))
    none.backward()
    assert none.item() == 0 and torch.equal(logits.grad, torch.zeros_like(logits))


def test_teacher_head_phase_is_the_rotation_matching_cross_entropy():
    loss = build(phase='teacher_head')
    inputs = batch(seed=2)
    upright = np.arange(IMAGES * VIEWS) % VIEWS == 0
    own = np.arange(IMAGES * VIEWS)[~upright] // VIEWS
    rep_t = numpy_of(loss.teacher_head(inputs['pooled_t']))
    similarity = cosine(rep_t[~upright], rep_t[upright])
    expected = -log_softmax(similarity)[np.arange(len(own)), own].mean()
    assert loss(**inputs).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('phase, trained, frozen', [
    ('teacher_head', 'teacher_head', 'student_head'),
    ('student', 'student_head', 'teacher_head'),
])
def test_each_phase_trains_its_head(phase, trained, frozen):
    loss = build(phase=phase)
    inputs = batch(seed=3, grad=True)
    loss(**inputs).backward()
    assert all(p.grad is not None for p in getattr(loss, trained).parameters())
    assert all(p.grad is None for p in getattr(loss, frozen).parameters())
    assert inputs['logits_t'].grad is None and inputs['pooled_t'].grad is None
    assert (inputs['logits_s'].grad is not None) == (phase == 'student')


def test_errors_name_the_fix():
    loss = build()
    with pytest.raises(ValueError, match='set student_channels=9'):
        loss(**batch(width_s=9))
    inputs = batch()
    inputs['view_idx'] = torch.zeros_like(inputs['view_idx'])
    with pytest.raises(ValueError, match='ViewsAsSamplesDataPreprocessor'):
        loss(**inputs)
    with pytest.raises(ValueError, match='expected one of'):
        build(phase='teacher')


def test_rotated_views_become_consecutive_samples_of_one_batch():
    """SSKD's dataset base: one flip, four rotations (crop off here to compare them),
    stacked image by image with view_idx and the label of each image."""
    init_default_scope('mmpretrain')
    pipeline = Config.fromfile(
        str(Path(__file__).parents[1] / 'configs/_base_/datasets/cifar100_bs64_sskd.py'))
    views = pipeline.train_pipeline[1]
    for view in views.transforms:
        assert [t['type'] for t in view] == ['Rot90', 'RandomCrop']
        view.pop()  # no crop: the views are exact rotations of each other
    transform = TRANSFORMS.build(dict(type='Compose', transforms=pipeline.train_pipeline))
    rng = np.random.default_rng(0)
    packed = [
        transform(dict(img=rng.integers(0, 256, (6, 6, 3), dtype=np.uint8), gt_label=i))
        for i in range(2)
    ]
    preprocessor = MODELS.build(pipeline.data_preprocessor)
    data = dict(
        inputs=[[p['inputs'][v] for p in packed] for v in range(4)],
        data_samples=[p['data_samples'] for p in packed])
    out = preprocessor(data, training=True)
    inputs, samples = out['inputs'], out['data_samples']
    assert inputs.shape == (8, 3, 6, 6)
    assert [s.view_idx for s in samples] == [0, 1, 2, 3] * 2
    assert [int(s.gt_label) for s in samples] == [0] * 4 + [1] * 4
    for image in range(2):
        upright = inputs[4 * image]
        for k in range(4):  # np.rot90 of an HWC image turns the CHW tensor in (1, 2)
            assert torch.equal(inputs[4 * image + k], torch.rot90(upright, k, (1, 2)))
    mean = torch.tensor(pipeline.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(pipeline.data_preprocessor.std).view(3, 1, 1)
    raw = packed[0]['inputs'][0].float()
    torch.testing.assert_close(inputs[0], (raw - mean) / std)
    view_idx = BATCH_INPUTS['view_idx'].getter(inputs, samples)
    assert view_idx.tolist() == [0, 1, 2, 3] * 2
    single = preprocessor(dict(inputs=[packed[0]['inputs'][0]], data_samples=None))
    assert single['inputs'].shape == (1, 3, 6, 6)
