"""Rotation of an image by a multiple of 90 degrees (SSKD's self-supervision views)."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class Rot90(BaseTransform):
    """Rotate ``results['img']`` (H, W, C) by ``k`` quarter turns counter-clockwise,
    exactly (``np.rot90``: no interpolation, no border).

    SSKD (Xu et al., "Knowledge Distillation Meets Self-Supervision", ECCV 2020) gives
    the models each training image rotated by 0, 90, 180 and 270 degrees
    (``np.rot90(img, k)`` in ``xuguodong03/SSKD@661b972:cifar.py``), after one shared
    horizontal flip and before each view's own crop: with MMPretrain's ``MultiView``,
    ``[dict(type='Rot90', k=k), dict(type='RandomCrop', ...)]`` for ``k`` in 0..3.

    Args:
        k: Number of quarter turns (any int; taken modulo 4).
    """

    def __init__(self, k: int) -> None:
        if not isinstance(k, int):
            raise TypeError(f'Rot90: k must be an int (quarter turns), got {k!r}.')
        self.k = k

    def transform(self, results: dict) -> dict:
        img = np.ascontiguousarray(np.rot90(results['img'], self.k))
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(k={self.k})'
