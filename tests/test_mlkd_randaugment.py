"""MLKDRandAugment against an independent re-implementation of MLKD's strong view
(Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:mdistiller/dataset/cifar100.py:
14 operations, two drawn with replacement and both applied, then an always-applied
Cutout), written here from PIL's documented formulas in numpy."""
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, TRANSFORMS
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NAMES = ('AutoContrast', 'Brightness', 'Color', 'Contrast', 'Equalize', 'Identity',
         'Posterize', 'Rotate', 'Sharpness', 'ShearX', 'ShearY', 'Solarize', 'TranslateX',
         'TranslateY')
RANGES = dict(
    AutoContrast=(0, 1),
    Brightness=(0.05, 0.95),
    Color=(0.05, 0.95),
    Contrast=(0.05, 0.95),
    Equalize=(0, 1),
    Identity=(0, 1),
    Posterize=(4, 8),
    Rotate=(-30, 30),
    Sharpness=(0.05, 0.95),
    ShearX=(-0.3, 0.3),
    ShearY=(-0.3, 0.3),
    Solarize=(0, 256),
    TranslateX=(-0.3, 0.3),
    TranslateY=(-0.3, 0.3))
FILL = np.array([125, 123, 114], np.uint8)


# ------------------------------------------ independent formulas (numpy, HWC uint8 RGB)
def blend(degenerate, img, factor):
    """PIL's Image.blend in single precision, truncated to uint8."""
    a, b, f = degenerate.astype(np.float32), img.astype(np.float32), np.float32(factor)
    return (a + f * (b - a)).astype(np.uint8)


def luma(img):
    """ITU-R 601-2 luma with PIL's 16-bit fixed-point weights, rounded."""
    x = img.astype(np.int64)
    return (
        (x[..., 0] * 19595 + x[..., 1] * 38470 + x[..., 2] * 7471 + 0x8000) >> 16).astype(
            np.uint8)


def gray3(values):
    return np.repeat(np.asarray(values, np.uint8)[..., None], 3, axis=-1)


def smooth(img):
    """PIL's SMOOTH filter: kernel (1 1 1; 1 5 1; 1 1 1) / 13, borders unchanged."""
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)
    h, w = img.shape[:2]
    acc = np.zeros((h - 2, w - 2, 3), np.float32)
    for dy in range(3):
        for dx in range(3):
            acc += img[dy:dy + h - 2, dx:dx + w - 2].astype(np.float32) * kernel[dy, dx]
    out = img.copy()
    out[1:-1, 1:-1] = np.clip(acc + np.float32(0.5), 0, 255).astype(np.uint8)
    return out


def autocontrast(img):
    out = img.copy()
    for c in range(3):
        lo, hi = int(img[..., c].min()), int(img[..., c].max())
        if hi > lo:
            scale = 255.0 / (hi - lo)
            lut = np.clip([int(i * scale - lo * scale) for i in range(256)], 0, 255)
            out[..., c] = lut.astype(np.uint8)[img[..., c]]
    return out


def equalize(img):
    out = img.copy()
    for c in range(3):
        hist = np.bincount(img[..., c].ravel(), minlength=256)
        present = hist[hist > 0]
        step = (present.sum() - present[-1]) // 255 if len(present) > 1 else 0
        if step:
            below = np.concatenate([[0], np.cumsum(hist)[:-1]])
            lut = (step // 2 + below) // step
            out[..., c] = np.clip(lut, 0, 255).astype(np.uint8)[img[..., c]]
    return out


def fixed(value):
    return math.floor(value * 65536.0 + 0.5)


def affine_nearest(img, a, b, c, d, e, f):
    """PIL's affine resampling, nearest: output pixel (x, y) reads input
    (a x' + b y' + c, d x' + e y' + f) at the pixel centre (x', y') = (x + .5, y + .5),
    in 16.16 fixed point; outside reads black."""
    h, w = img.shape[:2]
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    xs = (fixed(c + 0.5 * a + 0.5 * b) + x * fixed(a) + y * fixed(b)) >> 16
    ys = (fixed(f + 0.5 * d + 0.5 * e) + x * fixed(d) + y * fixed(e)) >> 16
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    out = np.zeros_like(img)
    out[inside] = img[ys[inside], xs[inside]]
    return out


def translate(img, dx, dy):
    """PIL's pure translation (its scaling path, floating point): output (x, y) reads
    input floor(x + .5 + dx), floor(y + .5 + dy)."""
    h, w = img.shape[:2]
    xs = np.floor(np.arange(w) + 0.5 + dx).astype(int)
    ys = np.floor(np.arange(h) + 0.5 + dy).astype(int)
    out = np.zeros_like(img)
    cols, rows = (xs >= 0) & (xs < w), (ys >= 0) & (ys < h)
    out[np.ix_(rows, cols)] = img[np.ix_(ys[rows], xs[cols])]
    return out


def rotate(img, degrees):
    """Counter-clockwise rotation about the image centre (w / 2, h / 2)."""
    h, w = img.shape[:2]
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    cx, cy = w / 2.0, h / 2.0
    return affine_nearest(img, cos, -sin, cx - cos * cx + sin * cy, sin, cos,
                          cy - sin * cx - cos * cy)


def reference_op(name, img, v):
    h, w = img.shape[:2]
    if name == 'AutoContrast':
        return autocontrast(img)
    if name == 'Brightness':
        return blend(np.zeros_like(img), img, v)
    if name == 'Color':
        return blend(gray3(luma(img)), img, v)
    if name == 'Contrast':
        return blend(np.full_like(img, int(luma(img).mean() + 0.5)), img, v)
    if name == 'Equalize':
        return equalize(img)
    if name == 'Identity':
        return img
    if name == 'Posterize':
        return img & np.uint8((0xFF << (8 - max(1, int(v)))) & 0xFF)
    if name == 'Rotate':
        return rotate(img, v)
    if name == 'Sharpness':
        return blend(smooth(img), img, v)
    if name == 'ShearX':
        return affine_nearest(img, 1, v, 0, 0, 1, 0)
    if name == 'ShearY':
        return affine_nearest(img, 1, 0, 0, v, 1, 0)
    if name == 'Solarize':
        return np.where(img < v, img, 255 - img).astype(np.uint8)
    if name == 'TranslateX':
        return translate(img, v * w, 0)
    if name == 'TranslateY':
        return translate(img, 0, v * h)
    raise KeyError(name)


def reference_strong_view(img, posterize_range=(4, 8)):
    """The original procedure, draw for draw: python's random for the operations,
    magnitudes and Cutout side, numpy's global generator for the Cutout centre."""
    ranges = dict(RANGES, Posterize=posterize_range)
    names = random.choices(NAMES, k=2)
    for name in names:
        low, high = ranges[name]
        img = reference_op(name, img, low + (high - low) * random.random())
    h, w = img.shape[:2]
    side = random.random() * 0.5 * w
    if side > 0:
        cx, cy = np.random.uniform(w), np.random.uniform(h)
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1, y1 = min(w, x0 + side), min(h, y0 + side)
        img = img.copy()
        img[y0:int(y1) + 1, x0:int(x1) + 1] = FILL  # both ends included
    return img, names


def synthetic_images(seed, count=6):
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        h, w = ((32, 32), (7, 11), (9, 6))[i % 3]
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if i % 2:  # few levels and a flat channel: the histogram operations' corners
            img = (img // 40 * 30 + 20).astype(np.uint8)
            img[..., 1] = 90
        images.append(img)
    return images


def build(**kwargs):
    init_default_scope('mmpretrain')
    return TRANSFORMS.build(dict(type='MLKDRandAugment', **kwargs))


# ------------------------------------------------------------------------------ tests
def test_each_operation_equals_its_formula():
    transform = build()
    assert [op[0] for op in transform.operations] == list(NAMES)
    assert {name: (low, high) for name, _, low, high in transform.operations} == RANGES
    rng = np.random.default_rng(0)
    for name, op, low, high in transform.operations:
        for img in synthetic_images(1):
            for v in (low, high - 1e-9, *rng.uniform(low, high, 4)):
                got = np.asarray(op(Image.fromarray(img), float(v)))
                np.testing.assert_array_equal(
                    got, reference_op(name, img, v), err_msg=f'{name}({v})')


def test_strong_view_equals_the_original_procedure_draw_for_draw():
    transform = build()
    images = synthetic_images(2)
    drawn = Counter()
    for seed in range(400):
        img = images[seed % len(images)]
        random.seed(seed)
        np.random.seed(seed)
        got = transform(dict(img=img.copy()))
        random.seed(seed)
        np.random.seed(seed)
        expected, names = reference_strong_view(img)
        np.testing.assert_array_equal(got['img'], expected, err_msg=f'seed {seed}')
        assert [name for name, _ in got['rand_augment']] == names
        drawn.update(names)
    assert set(drawn) == set(NAMES)


def test_two_operations_with_replacement_all_applied_and_cutout_always():
    """Statistics of 14000 draws with a fixed seed: each of the 14 operations (Identity
    included) fills a slot with probability 1/14, the two slots are independent (the
    same operation twice with probability 1/14), magnitudes are uniform on the ranges,
    and every view gets a Cutout of side U(0, 0.5) x width, centred in (1, width]."""
    transform = build()
    img = synthetic_images(3, 1)[0]
    random.seed(0)
    np.random.seed(0)
    slots, repeats, sides = [Counter(), Counter()], 0, []
    magnitudes = {name: [] for name in NAMES}
    for _ in range(14000):
        out = transform(dict(img=img))
        ops = out['rand_augment']
        assert len(ops) == 2
        for slot, (name, v) in zip(slots, ops):
            slot[name] += 1
            magnitudes[name].append(v)
        repeats += ops[0][0] == ops[1][0]
        x0, y0, x1, y1 = out['cutout_box']
        assert 0 <= x0 < 32 and 0 <= y0 < 32
        sides.append(x1 - x0)
        assert (out['img'][y0:int(y1) + 1, x0:int(x1) + 1] == FILL).all()
    for slot in slots:  # 1000 expected, binomial sd 29
        assert set(slot) == set(NAMES)
        assert all(880 < count < 1120 for count in slot.values()), slot
    assert 880 < repeats < 1120
    for name, values in magnitudes.items():
        low, high = RANGES[name]
        assert low <= min(values) and max(values) < high
        assert abs(np.mean(values) - (low + high) / 2) < 0.05 * (high - low)
    sides = np.array(sides)  # clipped at the border, so at most the drawn side
    assert sides.max() < 16 and abs(np.median(sides) - 8) < 1.5


def test_streamlined_posterize_keeps_one_bit():
    transform = build(posterize_range=(0, 1))
    (_, op, low, high), = [o for o in transform.operations if o[0] == 'Posterize']
    assert (low, high) == (0, 1)
    img = synthetic_images(4, 1)[0]
    for v in (0.0, 0.5, 0.999):
        assert set(np.unique(np.asarray(op(Image.fromarray(img), v)))) <= {0, 128}
    random.seed(5)
    np.random.seed(5)
    got = transform(dict(img=img.copy()))
    random.seed(5)
    np.random.seed(5)
    expected, _ = reference_strong_view(img, posterize_range=(0, 1))
    np.testing.assert_array_equal(got['img'], expected)


def test_bgr_images_are_augmented_as_their_rgb_version():
    rgb_transform, bgr_transform = build(), build(channel_order='bgr')
    for seed, img in enumerate(synthetic_images(6)):
        random.seed(seed)
        np.random.seed(seed)
        rgb = rgb_transform(dict(img=img.copy()))['img']
        random.seed(seed)
        np.random.seed(seed)
        bgr = bgr_transform(dict(img=img[..., ::-1].copy()))['img']
        np.testing.assert_array_equal(bgr[..., ::-1], rgb)


def test_bad_arguments_are_actionable_errors():
    with pytest.raises(ValueError, match="closest: 'bgr'"):
        build(channel_order='bgrr')
    with pytest.raises(ValueError, match='posterize_range'):
        build(posterize_range=(8, 4))
    with pytest.raises(ValueError, match='num_ops'):
        build(num_ops=0)
    with pytest.raises(ValueError, match='H x W x 3 uint8'):
        build()(dict(img=np.zeros((8, 8, 3), np.float32)))


def strong_view(path):
    (views, ) = [
        step for step in Config.fromfile(str(path)).train_pipeline
        if step['type'] == 'MultiView'
    ]
    assert views['num_views'] == [1, 1]
    return views['transforms']


@pytest.mark.parametrize('base, crop, channel_order',
                         [('cifar100_bs64_two_views.py', 'RandomCrop', 'rgb'),
                          ('imagenet_bs64_two_views.py', 'RandomResizedCrop', 'bgr')])
def test_two_view_bases_use_the_original_strong_view(base, crop, channel_order):
    """Weak: crop + flip. Strong: an independent crop + flip, then MLKDRandAugment (its
    Cutout included); normalisation follows in the data preprocessor, as the original's
    ToTensor + Normalize."""
    weak, strong = strong_view(ROOT / 'configs' / '_base_' / 'datasets' / base)
    assert [t['type'] for t in weak] == [crop, 'RandomFlip']
    assert [t['type'] for t in strong] == [crop, 'RandomFlip', 'MLKDRandAugment']
    assert strong[:2] == weak
    assert strong[2] == dict(type='MLKDRandAugment', channel_order=channel_order)


def test_cifar_two_view_pipeline_builds_and_augments():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(
        str(ROOT / 'configs' / '_base_' / 'datasets' / 'cifar100_bs64_two_views.py'))
    dataset = DATASETS.build(
        dict(
            type='SyntheticClsDataset',
            num_samples=2,
            num_classes=100,
            image_size=32,
            pipeline=cfg.train_pipeline))
    random.seed(0)
    np.random.seed(0)
    weak, strong = dataset[0]['inputs']
    assert weak.shape == strong.shape == (3, 32, 32)
    assert not (weak == strong).all()


def test_streamlined_training_set_is_the_weak_and_the_strong_copy():
    """StreamLined (SKD, CLKD): ConcatDataset([weak CIFAR-100, strong CIFAR-100]), the
    strong copy through MLKDRandAugment with 1-bit Posterize; the smoke conversion keeps
    both parts and their pipelines."""
    from kd_plugin.apis.smoke import smoke_config
    cfg = Config.fromfile(
        str(ROOT / 'configs' / 'skd' / 'skd_resnet32x4_resnet8x4_1xb64_cifar100.py'))
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'ConcatDataset'
    weak, strong = dataset.datasets
    for part in (weak, strong):
        assert (part.type, part.split, part.data_root) == ('CIFAR100', 'train',
                                                           'data/cifar100')
    assert [t['type']
            for t in weak.pipeline] == ['RandomCrop', 'RandomFlip', 'PackInputs']
    assert strong.pipeline[:2] == weak.pipeline[:2]
    assert strong.pipeline[2] == dict(
        type='MLKDRandAugment', posterize_range=(0, 1), channel_order='rgb')

    init_default_scope('mmpretrain')
    smoke = DATASETS.build(
        smoke_config(cfg, iters=2, batch_size=2).train_dataloader.dataset)
    assert len(smoke) == 4 and [len(d) for d in smoke.datasets] == [2, 2]
    assert [t.__class__.__name__
            for t in smoke.datasets[1].pipeline.transforms][2] == 'MLKDRandAugment'
