"""CIFAR-style crop + flip that record what they drew, so a view can be replayed.

``RecordedRandomCrop`` and ``RecordedRandomFlip`` make the same random draws, in the same
order and from the same (numpy global) generator, as MMPretrain's ``RandomCrop`` and
MMCV's ``RandomFlip`` (horizontal): with the same seed they give the same images. In
addition they write what they drew into ``results``:

* ``crop_top``, ``crop_left``: the crop offset in the padded image; ``crop_positions``:
  ``(rows, cols)``, how many offsets the crop could have taken;
* ``flip`` / ``flip_direction`` (as MMCV's transform);
* ``view_id``: one integer for the whole view, ``(top * cols + left) * 2 + flip``; for a
  square image with ``crop_size`` equal to the image size and padding ``p``,
  ``cols = 2p + 1`` and there are ``(2p + 1)**2 * 2`` views (162 for CIFAR, ``p = 4``);
* ``num_views``: that number.

Keep ``view_id`` in the data samples with
``dict(type='PackInputs', meta_keys=(..., 'view_id'))`` (see :data:`VIEW_META_KEYS`).

Replay: a ``results`` dict carrying ``replay_view=<view id>`` is transformed with that
view's parameters instead of random ones (no random draw), which is how
``tools/build_teacher_cache.py`` enumerates every view of every image.
"""
from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

# PackInputs' default meta keys plus the view id.
VIEW_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                  'flip', 'flip_direction', 'view_id')
REPLAY_KEY = 'replay_view'


def encode_view(top: int, left: int, flip: bool, cols: int) -> int:
    """The view id of a crop offset and a flip; ``cols``: offsets per row."""
    return (int(top) * int(cols) + int(left)) * 2 + int(bool(flip))


def decode_view(view_id: int, cols: int) -> Tuple[int, int, bool]:
    """``(top, left, flip)`` of a view id (inverse of :func:`encode_view`)."""
    position, flip = divmod(int(view_id), 2)
    top, left = divmod(position, int(cols))
    return top, left, bool(flip)


def _update_view(results: dict) -> None:
    rows, cols = results.get('crop_positions', (1, 1))
    results['view_id'] = encode_view(results.get('crop_top', 0),
                                     results.get('crop_left', 0),
                                     results.get('flip', False), cols)
    results['num_views'] = rows * cols * 2


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
        img = mmcv.imcrop(img, np.array([left, top, left + target_w - 1,
                                         top + target_h - 1]))
        results['img'] = img
        results['img_shape'] = img.shape
        results['crop_top'], results['crop_left'] = int(top), int(left)
        results['crop_positions'] = (rows, cols)
        _update_view(results)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'padding={self.padding}, pad_val={self.pad_val})')


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
            flip = bool(int(results[REPLAY_KEY]) % 2)
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
