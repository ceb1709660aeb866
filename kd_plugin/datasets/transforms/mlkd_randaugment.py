"""MLKD's strong augmentation: a FixMatch-style RandAugment followed by a Cutout.

Jin, Wang, Lin, "Multi-Level Logit Distillation", CVPR 2023: the student and teacher
see a weak view (crop + flip) and a strong view of each image. The strong view of the
original code is ``RandAugment(2, 10)`` of
``Jin-Ying/Multi-Level-Logit-Distillation@5ee473f:mdistiller/dataset/cifar100.py``
(``augment_list``, ``RandAugment``, ``Cutout``, ``CutoutAbs``; ``imagenet.py`` holds the
same code for ImageNet), applied to the PIL image after the crop and flip and before
``ToTensor``/``Normalize``. :class:`MLKDRandAugment` is that transform on MMPretrain's
HWC uint8 arrays, through the same PIL operations:

1. draw ``num_ops`` operations uniformly **with replacement** from the 14 below
   (python's ``random.choices``) and apply **every** drawn one, each with a magnitude
   ``v = low + (high - low) * random.random()`` drawn afresh:

   ============  ===============  ==============================================
   operation     range of ``v``   effect (PIL)
   ============  ===============  ==============================================
   AutoContrast  (unused)         ``ImageOps.autocontrast``
   Brightness    [0.05, 0.95)     ``ImageEnhance.Brightness(img).enhance(v)``
   Color         [0.05, 0.95)     ``ImageEnhance.Color``
   Contrast      [0.05, 0.95)     ``ImageEnhance.Contrast``
   Equalize      (unused)         ``ImageOps.equalize``
   Identity      (unused)         the image unchanged
   Posterize     [4, 8)           ``ImageOps.posterize(img, max(1, int(v)))``: 4-7 bits
   Rotate        [-30, 30)        ``img.rotate(v)`` degrees, nearest, black fill
   Sharpness     [0.05, 0.95)     ``ImageEnhance.Sharpness``
   ShearX/Y      [-0.3, 0.3)      affine ``(1, v, 0, 0, 1, 0)`` / ``(1, 0, 0, v, 1, 0)``,
                                  nearest, black fill
   Solarize      [0, 256)         ``ImageOps.solarize(img, v)``: pixels >= v inverted
   TranslateX/Y  [-0.3, 0.3)      ``v`` x width / height pixels, nearest, black fill
   ============  ===============  ==============================================

   The enhance factors are all below 1: brightness, colour, contrast and sharpness only
   ever decrease. ``Invert`` is defined in the original but not in its list.
2. Cutout, always: a side ``s = 0.5 * random.random() * width`` (skipped only when the
   draw is exactly 0), a centre ``(np.random.uniform(width), np.random.uniform(height))``
   (numpy's ``low`` argument with the default ``high=1``: a centre in ``(1, width]``),
   the box ``x0 = int(max(0, cx - s / 2))``, ``x1 = min(width, x0 + s)`` (likewise in
   y) filled with (125, 123, 114) by PIL's ``ImageDraw.rectangle``, which includes both
   ends.

The draws come from python's ``random`` (operations, magnitudes, Cutout side) and
numpy's global generator (Cutout centre), in the original's order: seeded alike, this
transform and the original give the same image. ``EpochSeedHook`` and MMEngine's
dataloader workers seed both generators.

``posterize_range=(0, 1)`` gives the variant of
``HyunJunSik/StreamLined@0e1ede7:CIFAR-100/Utils/train.py`` (``augment_list``), whose
Posterize always keeps 1 bit; the rest of its ``RandAugment`` is this one.

The transform writes what it drew: ``rand_augment`` (the ``(name, v)`` pairs applied, in
order) and ``cutout_box`` (``(x0, y0, x1, y1)`` as drawn, or ``None``).
"""
import random
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from kd_plugin.utils.vocabulary import closest

CUTOUT_FILL = (125, 123, 114)  # RGB, as the original's CutoutAbs
CHANNEL_ORDERS = ('rgb', 'bgr')
NEAREST = Image.Resampling.NEAREST


def _autocontrast(img: Image.Image, _: float) -> Image.Image:
    return ImageOps.autocontrast(img)


def _brightness(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(factor)


def _color(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Color(img).enhance(factor)


def _contrast(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(img).enhance(factor)


def _equalize(img: Image.Image, _: float) -> Image.Image:
    return ImageOps.equalize(img)


def _identity(img: Image.Image, _: float) -> Image.Image:
    return img


def _posterize(img: Image.Image, bits: float) -> Image.Image:
    return ImageOps.posterize(img, max(1, int(bits)))


def _rotate(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, resample=NEAREST)


def _affine(img: Image.Image, coefficients: Tuple[float, ...]) -> Image.Image:
    """PIL's inverse affine map (output pixel -> input position), nearest, black fill."""
    return img.transform(img.size, Image.Transform.AFFINE, coefficients, resample=NEAREST)


def _sharpness(img: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Sharpness(img).enhance(factor)


def _shear_x(img: Image.Image, shear: float) -> Image.Image:
    return _affine(img, (1, shear, 0, 0, 1, 0))


def _shear_y(img: Image.Image, shear: float) -> Image.Image:
    return _affine(img, (1, 0, 0, shear, 1, 0))


def _solarize(img: Image.Image, threshold: float) -> Image.Image:
    return ImageOps.solarize(img, threshold)


def _translate_x(img: Image.Image, fraction: float) -> Image.Image:
    return _affine(img, (1, 0, fraction * img.size[0], 0, 1, 0))


def _translate_y(img: Image.Image, fraction: float) -> Image.Image:
    return _affine(img, (1, 0, 0, 0, 1, fraction * img.size[1]))


Operation = Tuple[str, Callable[[Image.Image, float], Image.Image], float, float]

# The original's list, in its order (the order decides which op a seeded draw picks).
OPERATIONS: Tuple[Operation, ...] = (
    ('AutoContrast', _autocontrast, 0, 1),
    ('Brightness', _brightness, 0.05, 0.95),
    ('Color', _color, 0.05, 0.95),
    ('Contrast', _contrast, 0.05, 0.95),
    ('Equalize', _equalize, 0, 1),
    ('Identity', _identity, 0, 1),
    ('Posterize', _posterize, 4, 8),
    ('Rotate', _rotate, -30, 30),
    ('Sharpness', _sharpness, 0.05, 0.95),
    ('ShearX', _shear_x, -0.3, 0.3),
    ('ShearY', _shear_y, -0.3, 0.3),
    ('Solarize', _solarize, 0, 256),
    ('TranslateX', _translate_x, -0.3, 0.3),
    ('TranslateY', _translate_y, -0.3, 0.3),
)


def cutout(img: Image.Image,
           side: float) -> Tuple[Image.Image, Tuple[int, int, float, float]]:
    """The original's ``CutoutAbs``: a ``side``-pixel box at a numpy-drawn centre."""
    width, height = img.size
    # One argument is numpy's ``low`` (``high`` stays 1): centres in (1, width].
    centre_x = np.random.uniform(width)
    centre_y = np.random.uniform(height)
    x0 = int(max(0, centre_x - side / 2.))
    y0 = int(max(0, centre_y - side / 2.))
    box = (x0, y0, min(width, x0 + side), min(height, y0 + side))
    img = img.copy()
    ImageDraw.Draw(img).rectangle(box, CUTOUT_FILL)
    return img, box


@TRANSFORMS.register_module()
class MLKDRandAugment(BaseTransform):
    """MLKD's strong augmentation: ``num_ops`` RandAugment operations, all applied,
    then a Cutout (see the module docstring for the operations and their ranges).

    Required keys: ``img`` (H x W x 3 uint8). Modified keys: ``img``. Added keys:
    ``rand_augment``, ``cutout_box``.

    Args:
        num_ops (int): operations drawn (with replacement) and applied. The original's
            ``RandAugment(2, 10)``: 2 (its magnitude argument 10 is unused).
        posterize_range (Sequence[float]): range of Posterize's draw, whose integer part
            (at least 1) is the number of bits kept. (4, 8) as MLKD: 4-7 bits;
            (0, 1) as StreamLined: always 1 bit.
        channel_order (str): order of the image's channels: ``'rgb'`` (MMPretrain's
            CIFAR datasets) or ``'bgr'`` (``LoadImageFromFile``). Colour and Contrast
            weigh the channels and the Cutout fill is an RGB colour.
    """

    def __init__(self,
                 num_ops: int = 2,
                 posterize_range: Sequence[float] = (4, 8),
                 channel_order: str = 'rgb') -> None:
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 1:
            raise ValueError(
                f'MLKDRandAugment: num_ops={num_ops!r}; expected an int >= 1 '
                '(the original applies 2)')
        low, high = (float(v) for v in posterize_range)
        if not 0 <= low < high <= 9:
            raise ValueError(
                f'MLKDRandAugment: posterize_range={tuple(posterize_range)!r}; expected '
                '(low, high) with 0 <= low < high <= 9, bits = max(1, int(draw)): (4, 8) '
                'as MLKD, (0, 1) as StreamLined')
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(
                f'MLKDRandAugment: channel_order={channel_order!r}; expected '
                f'one of {CHANNEL_ORDERS}' + closest(str(channel_order), CHANNEL_ORDERS))
        self.num_ops = num_ops
        self.posterize_range = (low, high)
        self.channel_order = channel_order
        self.operations: List[Operation] = [
            (name, op, low, high) if name == 'Posterize' else (name, op, lo, hi)
            for name, op, lo, hi in OPERATIONS
        ]

    def transform(self, results: dict) -> dict:
        img = results['img']
        if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3
                and img.shape[2] == 3):
            dtype, shape = getattr(img, 'dtype', type(img)), getattr(img, 'shape', None)
            raise ValueError(
                'MLKDRandAugment expects results["img"] as an H x W x 3 uint8 '
                f'array, got {dtype} of shape {shape}')
        bgr = self.channel_order == 'bgr'
        pil = Image.fromarray(np.ascontiguousarray(img[..., ::-1] if bgr else img))
        applied = []
        for name, op, low, high in random.choices(self.operations, k=self.num_ops):
            value = low + float(high - low) * random.random()
            pil = op(pil, value)
            applied.append((name, value))
        side = random.random() * 0.5 * pil.size[0]
        box: Optional[tuple] = None
        if side > 0:
            pil, box = cutout(pil, side)
        out = np.array(pil)  # a writable copy
        results['img'] = np.ascontiguousarray(out[..., ::-1]) if bgr else out
        results['rand_augment'] = tuple(applied)
        results['cutout_box'] = box
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_ops={self.num_ops}, '
                f'posterize_range={self.posterize_range}, '
                f'channel_order={self.channel_order!r})')
