"""Crops and flips that record what they drew, so a view can be replayed.

``RecordedRandomCrop`` and ``RecordedRandomFlip`` make the same random draws, in the same
order and from the same (numpy global) generator, as MMPretrain's ``RandomCrop`` and
MMCV's ``RandomFlip`` (horizontal): with the same seed they give the same images.
``RecordedRandomResizedCrop`` is MMPretrain's ``RandomResizedCrop`` restricted to a fixed
set of crops per image (below). In addition they write what they drew into ``results``:

* ``crop_index``: which of the ``crop_count`` crops of the image was taken;
  ``RecordedRandomCrop`` also writes ``crop_top``, ``crop_left`` (the offset in the
  padded image) and ``crop_positions``: ``(rows, cols)``, how many offsets the crop
  could have taken (``crop_index = top * cols + left``, ``crop_count = rows * cols``);
  ``RecordedRandomResizedCrop`` writes ``crop_box``, ``(top, left, height, width)`` of
  the region it resized;
* ``flip`` / ``flip_direction`` (as MMCV's transform);
* ``view_id``: one integer for the whole view, ``crop_index * 2 + flip``; for CIFAR's
  crop (square image, ``crop_size`` equal to the image size, padding ``p``) there are
  ``(2p + 1)**2 * 2`` views (162 for ``p = 4``);
* ``num_views``: ``crop_count * 2``.

Keep ``view_id`` in the data samples with
``dict(type='PackInputs', meta_keys=(..., 'view_id'))`` (see :data:`VIEW_META_KEYS`;
:data:`BOX_META_KEYS` also keeps ``crop_box``, which lets a distiller with a
``teacher_cache``
check that the cache holds the views the pipeline drew).

Replay: a ``results`` dict carrying ``replay_view=<view id>`` is transformed with that
view's parameters instead of random ones (no random draw), which is how
``tools/build_teacher_cache.py`` enumerates every view of every image.

Continuous crops, the consistent-views approach: ``RandomResizedCrop`` draws its box from
a continuum, so no cache can hold every view. ``RecordedRandomResizedCrop`` gives each
image ``num_draws`` fixed crops instead: crop ``d`` of sample ``i`` is drawn by
``RandomResizedCrop``'s algorithm from a generator seeded with ``(seed, i, d)``, so the
cache builder and every training epoch compute the same box without sharing any state,
and training only draws ``d`` (from numpy's global generator, which ``EpochSeedHook``
reseeds per epoch). Teacher and student then always see the same view (the consistency
of Beyer et al., 2022, "Knowledge distillation: A good teacher is patient and
consistent"), and the teacher's logits of every view can be cached as FKD does (Shen &
Xing, 2022, "A Fast Knowledge Distillation Framework for Visual Recognition": crop
coordinates stored with the soft labels), at a price: the student sees at most
``2 * num_draws`` distinct views of an image over the whole schedule instead of fresh
ones every epoch (see ``docs/benchmark.md``, "Teacher-output cache").
"""
import math
from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

# PackInputs' default meta keys plus the view id.
VIEW_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                  'flip', 'flip_direction', 'view_id')
# ... plus the box of RecordedRandomResizedCrop, checked against the cache's.
BOX_META_KEYS = VIEW_META_KEYS + ('crop_box', )
REPLAY_KEY = 'replay_view'


def compose_view(crop_index: int, flip: bool) -> int:
    """The view id of a crop index and a flip: ``crop_index * 2 + flip``."""
    return int(crop_index) * 2 + int(bool(flip))


def split_view(view_id: int) -> Tuple[int, bool]:
    """``(crop_index, flip)`` of a view id (inverse of :func:`compose_view`)."""
    crop_index, flip = divmod(int(view_id), 2)
    return crop_index, bool(flip)


def encode_view(top: int, left: int, flip: bool, cols: int) -> int:
    """The view id of a ``RecordedRandomCrop`` offset and a flip; ``cols``: offsets
    per row."""
    return compose_view(int(top) * int(cols) + int(left), flip)


def decode_view(view_id: int, cols: int) -> Tuple[int, int, bool]:
    """``(top, left, flip)`` of a ``RecordedRandomCrop`` view id (inverse of
    :func:`encode_view`)."""
    position, flip = split_view(view_id)
    top, left = divmod(position, int(cols))
    return top, left, flip


def _update_view(results: dict) -> None:
    results['view_id'] = compose_view(
        results.get('crop_index', 0), results.get('flip', False))
    results['num_views'] = results.get('crop_count', 1) * 2


@TRANSFORMS.register_module()
class RecordedRandomCrop(BaseTransform):
    """``RandomCrop(crop_size, padding, pad_val)`` (constant padding) that records its
    offset and the view id.

    Args:
        crop_size: Output size, an int (square) or ``(h, w)``.
        padding: Zero padding before cropping, as MMPretrain's: an int, ``(lr, tb)``
            or ``(left, top, right, bottom)``; None: no padding.
        pad_val: Padding value (0 as CIFAR's recipe).
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 padding: Optional[Union[int, Sequence[int]]] = None,
                 pad_val: Union[Number, Sequence[Number]] = 0) -> None:
        if isinstance(crop_size, Sequence):
            if len(crop_size) != 2 or min(crop_size) <= 0:
                raise ValueError(f'crop_size must be a positive int or (h, w), got '
                                 f'{crop_size}')
            self.crop_size = tuple(int(s) for s in crop_size)
        else:
            if crop_size <= 0:
                raise ValueError(f'crop_size must be positive, got {crop_size}')
            self.crop_size = (int(crop_size), int(crop_size))
        self.padding = padding
        self.pad_val = pad_val

    def _target(self, height: int, width: int) -> Tuple[int, int]:
        """The crop size, shrunk to the image as MMPretrain's RandomCrop does."""
        return min(height, self.crop_size[0]), min(width, self.crop_size[1])

    def transform(self, results: dict) -> dict:
        img = results['img']
        if self.padding is not None:
            img = mmcv.impad(img, padding=self.padding, pad_val=self.pad_val)
        height, width = img.shape[:2]
        target_h, target_w = self._target(height, width)
        rows, cols = height - target_h + 1, width - target_w + 1
        if results.get(REPLAY_KEY) is not None:
            top, left, _ = decode_view(results[REPLAY_KEY], cols)
            if top >= rows:
                raise ValueError(f'view id {results[REPLAY_KEY]} is out of range for '
                                 f'{rows * cols * 2} views')
        elif (height, width) == (target_h, target_w):
            top, left = 0, 0  # nothing drawn, as MMPretrain
        else:
            top = np.random.randint(0, rows)
            left = np.random.randint(0, cols)
        img = mmcv.imcrop(img,
                          np.array([left, top, left + target_w - 1, top + target_h - 1]))
        results['img'] = img
        results['img_shape'] = img.shape
        results['crop_top'], results['crop_left'] = int(top), int(left)
        results['crop_positions'] = (rows, cols)
        results['crop_index'] = int(top) * cols + int(left)
        results['crop_count'] = rows * cols
        _update_view(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'padding={self.padding}, pad_val={self.pad_val})')


def random_resized_box(height: int,
                       width: int,
                       rng,
                       crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                       aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                       max_attempts: int = 10) -> Tuple[int, int, int, int]:
    """``(top, left, height, width)`` of a random crop as MMPretrain's
    ``RandomResizedCrop`` draws it (Szegedy et al.'s Inception crop).

    Up to ``max_attempts`` times: an area fraction ``s ~ U(crop_ratio_range)`` and a log
    aspect ratio ``log r ~ U(log aspect_ratio_range)`` give a box of width
    ``round(sqrt(s A r))`` and height ``round(sqrt(s A / r))``; the first one that fits
    is placed at a uniform offset. Otherwise the largest central box whose aspect ratio
    is clamped to the range. ``rng``: ``numpy.random`` (the global generator, giving
    exactly MMPretrain's draws) or a ``numpy.random.RandomState``.
    """
    area = height * width
    low, high = math.log(aspect_ratio_range[0]), math.log(aspect_ratio_range[1])
    for _ in range(max_attempts):
        target_area = rng.uniform(*crop_ratio_range) * area
        ratio = math.exp(rng.uniform(low, high))
        box_w = int(round(math.sqrt(target_area * ratio)))
        box_h = int(round(math.sqrt(target_area / ratio)))
        if 0 < box_w <= width and 0 < box_h <= height:
            top = rng.randint(0, height - box_h + 1)
            left = rng.randint(0, width - box_w + 1)
            return int(top), int(left), box_h, box_w
    image_ratio = width / height
    box_h, box_w = height, width
    if image_ratio < min(aspect_ratio_range):
        box_h = int(round(width / min(aspect_ratio_range)))
    elif image_ratio > max(aspect_ratio_range):
        box_w = int(round(height * max(aspect_ratio_range)))
    return (height - box_h) // 2, (width - box_w) // 2, box_h, box_w


@TRANSFORMS.register_module()
class RecordedRandomResizedCrop(BaseTransform):
    """``RandomResizedCrop`` over ``num_draws`` fixed crops per image, recording the
    crop: the consistent-views approach to caching a teacher under continuous crops
    (module docstring).

    Crop ``d`` of the sample ``results['sample_idx']`` is :func:`random_resized_box`
    drawn from ``numpy.random.RandomState([seed, sample_idx, d])``: the same box in the
    cache builder and in every epoch, without shared state. Training draws ``d``
    uniformly from numpy's global generator; a replay (``results['replay_view']``) takes
    ``d = view_id // 2``. The box is cropped and resized to ``scale`` as MMPretrain's
    transform does, and recorded as ``crop_box = (top, left, height, width)``,
    ``crop_index = d``, ``crop_count = num_draws``, with the view id.

    Args:
        scale, crop_ratio_range, aspect_ratio_range, max_attempts, interpolation,
            backend: As MMPretrain's ``RandomResizedCrop``.
        num_draws: Crops per image (the cache holds ``2 * num_draws`` views per image).
        seed: Seed of every image's crops; a cache is valid for its seed only.
    """

    def __init__(self,
                 scale: Union[Sequence[int], int],
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 num_draws: int = 10,
                 seed: int = 0) -> None:
        if isinstance(scale, Sequence):
            if len(scale) != 2 or min(scale) <= 0:
                raise ValueError(f'scale must be a positive int or (h, w), got {scale}')
            self.scale = tuple(int(s) for s in scale)
        else:
            if scale <= 0:
                raise ValueError(f'scale must be positive, got {scale}')
            self.scale = (int(scale), int(scale))
        if not 0 <= crop_ratio_range[0] <= crop_ratio_range[1]:
            raise ValueError('crop_ratio_range must be (min, max) with 0 <= min <= max, '
                             f'got {crop_ratio_range}')
        if not 0 < aspect_ratio_range[0] <= aspect_ratio_range[1]:
            raise ValueError('aspect_ratio_range must be (min, max) with 0 < min <= max, '
                             f'got {aspect_ratio_range}')
        if not isinstance(max_attempts, int) or max_attempts < 0:
            raise ValueError(f'max_attempts must be an int >= 0, got {max_attempts}')
        if interpolation not in ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos'):
            raise ValueError(f'interpolation {interpolation!r} is not one of nearest, '
                             'bilinear, bicubic, area, lanczos')
        if not isinstance(num_draws, int) or num_draws < 1:
            raise ValueError(f'num_draws must be a positive int, got {num_draws}')
        if not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise ValueError(f'seed must be an int in [0, 2**32), got {seed}')
        self.crop_ratio_range = tuple(float(r) for r in crop_ratio_range)
        self.aspect_ratio_range = tuple(float(r) for r in aspect_ratio_range)
        self.max_attempts = max_attempts
        self.interpolation = interpolation
        self.backend = backend
        self.num_draws = num_draws
        self.seed = seed

    def crop_box(self, height: int, width: int, sample_idx: int,
                 draw: int) -> Tuple[int, int, int, int]:
        """``(top, left, height, width)`` of crop ``draw`` of sample ``sample_idx``."""
        rng = np.random.RandomState([self.seed, int(sample_idx), int(draw)])
        return random_resized_box(height, width, rng, self.crop_ratio_range,
                                  self.aspect_ratio_range, self.max_attempts)

    def transform(self, results: dict) -> dict:
        if results.get('sample_idx') is None:
            raise ValueError(
                "RecordedRandomResizedCrop needs results['sample_idx'] (its crops are "
                'fixed per sample): use a dataset derived from MMEngine\'s BaseDataset, '
                'whose get_data_info sets it.')
        if results.get(REPLAY_KEY) is not None:
            draw, _ = split_view(results[REPLAY_KEY])
            if draw >= self.num_draws:
                raise ValueError(f'view id {results[REPLAY_KEY]} is out of range for '
                                 f'{self.num_draws * 2} views')
        else:
            draw = np.random.randint(0, self.num_draws)
        img = results['img']
        top, left, box_h, box_w = self.crop_box(img.shape[0], img.shape[1],
                                                results['sample_idx'], draw)
        img = mmcv.imcrop(img, np.array([left, top, left + box_w - 1, top + box_h - 1]))
        img = mmcv.imresize(
            img, self.scale[::-1], interpolation=self.interpolation, backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape
        results['crop_box'] = (top, left, box_h, box_w)
        results['crop_index'], results['crop_count'] = int(draw), self.num_draws
        _update_view(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'crop_ratio_range={self.crop_ratio_range}, '
                f'aspect_ratio_range={self.aspect_ratio_range}, '
                f'max_attempts={self.max_attempts}, interpolation={self.interpolation}, '
                f'backend={self.backend}, num_draws={self.num_draws}, seed={self.seed})')


@TRANSFORMS.register_module()
class RecordedRandomFlip(BaseTransform):
    """Horizontal ``RandomFlip(prob)`` that records the flip and the view id.

    Args:
        prob: Probability of flipping.
        direction: Only ``'horizontal'`` (CIFAR's recipe).
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        if direction != 'horizontal':
            raise ValueError('RecordedRandomFlip replays horizontal flips only, got '
                             f'direction={direction!r}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = float(prob)
        self.direction = direction

    def transform(self, results: dict) -> dict:
        if results.get(REPLAY_KEY) is not None:
            _, flip = split_view(results[REPLAY_KEY])
        else:
            # The very call MMCV's RandomFlip makes (same draw from the same stream).
            flip = np.random.choice([self.direction, None],
                                    p=[self.prob, 1.0 - self.prob]) is not None
        results['flip'] = flip
        results['flip_direction'] = self.direction if flip else None
        if flip:
            results['img'] = mmcv.imflip(results['img'], direction=self.direction)
        _update_view(results)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob}, direction={self.direction})'
