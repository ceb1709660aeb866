from typing import List, Optional

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class SyntheticClsDataset(BaseDataset):
    """Learnable synthetic images for tests, smoke runs and benchmarks.

    Class ``c`` has a fixed coarse colour pattern (a 4x4 grid, upsampled); each sample
    is its class pattern plus seeded per-sample noise, as a ``uint8`` HWC RGB array in
    ``results['img']``, like CIFAR's in-memory images. So the CIFAR pipelines run
    unchanged and the ImageNet ones do from their first in-memory transform on (no
    ``LoadImageFromFile``). Images are generated on access: no memory, no files.

    Args:
        num_samples: Dataset length.
        num_classes: Labels are ``index % num_classes``.
        image_size: Height and width of the generated images.
        noise: Standard deviation of the per-sample noise (0-255 scale).
        seed: Changes every pattern and every noise draw. Keep it equal for the
            training and test sets: ``test_mode=True`` draws other noise on the same
            class patterns.
    """

    def __init__(self,
                 num_samples: int = 64,
                 num_classes: int = 10,
                 image_size: int = 32,
                 noise: float = 40.0,
                 seed: int = 0,
                 pipeline=(),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        self.num_samples = num_samples
        self.num_classes = num_classes
        self.image_size = image_size
        self.noise = noise
        self.seed = seed
        metainfo = metainfo or dict(classes=[f'class_{c}' for c in range(num_classes)])
        # The list only holds labels: serialising it buys nothing and costs a gc pass.
        kwargs.setdefault('serialize_data', False)
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            pipeline=pipeline,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        return [
            dict(gt_label=index % self.num_classes) for index in range(self.num_samples)
        ]

    def class_pattern(self, label: int) -> np.ndarray:
        coarse = np.random.default_rng((self.seed, label)).uniform(30, 225, (4, 4, 3))
        repeat = -(-self.image_size // 4)
        full = np.kron(coarse, np.ones((repeat, repeat, 1)))
        return full[:self.image_size, :self.image_size]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        split = int(self.test_mode)
        noise = np.random.default_rng((self.seed, self.num_classes, split,
                                       idx)).normal(0, self.noise,
                                                    (self.image_size, self.image_size, 3))
        image = self.class_pattern(info['gt_label']) + noise
        info['img'] = np.clip(image, 0, 255).astype(np.uint8)
        return info
