from typing import List

import cv2
import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """scikit-learn's bundled handwritten digits (1797 images, 8x8, 10 classes).

    The data ships inside scikit-learn, so demos and tests run on real images with
    nothing to download. Images are shuffled once with ``seed``; the first
    ``num_train`` form the training split and the rest the test split (a small training
    set leaves a visible gap between a strong teacher and a tiny student). Images are
    upscaled to ``image_size`` and given three channels, as ``uint8`` HWC arrays.

    Args:
        split: ``'train'`` or ``'test'``.
        num_train: Size of the training split.
        image_size: Side of the upscaled images.
        seed: Seed of the shuffle that defines the split.
    """

    METAINFO = dict(classes=[str(digit) for digit in range(10)])

    def __init__(self,
                 split: str = 'train',
                 num_train: int = 500,
                 image_size: int = 32,
                 seed: int = 0,
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.num_train = num_train
        self.image_size = image_size
        self.seed = seed
        super().__init__(ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        from sklearn.datasets import load_digits
        digits = load_digits()
        order = np.random.default_rng(self.seed).permutation(len(digits.target))
        if not 0 < self.num_train < len(order):
            raise ValueError(
                f'num_train must be in (0, {len(order)}), got {self.num_train}')
        chosen = order[:self.num_train] if self.split == 'train' else order[self.
                                                                            num_train:]
        data_list = []
        for index in chosen:
            gray = (digits.images[index] * (255.0 / 16.0)).astype(np.uint8)
            big = cv2.resize(
                gray, (self.image_size, self.image_size), interpolation=cv2.INTER_LINEAR)
            data_list.append(
                dict(
                    img=np.repeat(big[..., None], 3, axis=2),
                    gt_label=int(digits.target[index])))
        return data_list
