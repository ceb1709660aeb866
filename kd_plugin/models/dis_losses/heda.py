"""HE-DA: high-energy data augmentation (Kim et al., Knowledge-Based Systems 2024)."""
import math
from typing import Optional, Tuple

import torch
from mmpretrain.registry import MODELS
from torch import Tensor

from .energy_kd import EnergyThresholdsModule

AUGMENTATIONS = ('cutmix', 'mixup')


def sample_beta(alpha: float,
                beta: float,
                generator: Optional[torch.Generator] = None) -> float:
    """Draw one ``Beta(alpha, beta)`` value from a CPU ``generator`` (Johnk's method).

    ``U, V ~ U(0, 1)``, ``X = U^(1/alpha)``, ``Y = V^(1/beta)``; accept ``X / (X + Y)``
    when ``X + Y <= 1``. Exact for every ``alpha, beta > 0``, efficient for the small
    parameters used here (1 and 0.2). Runs on the host: no device synchronisation.
    """
    while True:
        u, v = torch.rand(2, generator=generator, dtype=torch.float64).tolist()
        x, y = u**(1.0 / alpha), v**(1.0 / beta)
        if 0.0 < x + y <= 1.0:
            return x / (x + y)


def cutmix_box(height: int,
               width: int,
               lam: float,
               generator: Optional[torch.Generator] = None) -> Tuple[int, int, int, int]:
    """The reference's CutMix box ``(r1, r2, c1, c2)`` for an ``height x width`` image.

    Side lengths ``int(size * sqrt(1 - lam))``, a uniform centre, each half side
    ``side // 2`` (so odd sides lose a pixel), clipped to the image (Yun et al.'s
    ``rand_bbox``, rows first: the reference calls dim 2 ``W``).
    """
    cut_ratio = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * cut_ratio), int(width * cut_ratio)
    centre_r = int(torch.randint(height, (1, ), generator=generator))
    centre_c = int(torch.randint(width, (1, ), generator=generator))
    r1, r2 = max(centre_r - cut_h // 2, 0), min(centre_r + cut_h // 2, height)
    c1, c2 = max(centre_c - cut_w // 2, 0), min(centre_c + cut_w // 2, width)
    return r1, r2, c1, c2


@MODELS.register_module()
class HighEnergyMix(EnergyThresholdsModule):
    """HE-DA's auxiliary batch: CutMix / MixUp of the teacher's high-energy images.

    Kim, Ham, Lee, Jang, Kim. "Maximizing Discrimination Capability of Knowledge
    Distillation with Energy Function", Knowledge-Based Systems 296:111911, 2024
    (arXiv 2311.14334); reference code Seonghak35/EnergyKD ``energyAUG``.

    The distiller's ``aux_batch`` module. With the teacher energy
    ``E_i = -T_e logsumexp(z^t_i / T_e)`` and the dataset thresholds of
    ``EnergyThresholdHook``, the new batch is ``[x_0, x_1]`` followed by every image
    with ``E_i > high`` (or ``E_i < low``: HE-DA configs use ``low_rate=0``, so that
    band is empty), then mixed with a random permutation ``pi`` of the new batch:

    - CutMix (the reference's default): ``lam ~ Beta(1, 1)``, a box of side
      ``sqrt(1 - lam)`` times the image side, filled from ``x_pi``;
    - MixUp: ``lam ~ Beta(0.2, 0.2)``, ``lam x + (1 - lam) x_pi``.

    Labels are not used: a ``KDLoss`` bound to ``logits_s_aux`` / ``logits_t_aux``
    (``inputs=dict(...)`` in its config) distils the teacher on this batch.

    Reproduced quirks of the reference: the first two images of the batch are always
    included (twice when they are also selected), so the batch is never empty; the
    permutation is over the new batch only. Deviations: the reference builds its
    selection mask as a fixed 3x32x32 image (CIFAR only); here it is a boolean index,
    so any image size works. The reference also drops a selected image whose pixels
    sum to exactly 0, and doubles (or drops) an image in both bands; neither occurs
    in practice and neither is reproduced. The batch size depends on the data, so
    building it reads the selection count back to the host once per step (the only
    synchronisation, unavoidable for a data-dependent shape).

    Args:
        augmentation: ``'cutmix'`` or ``'mixup'``.
        cutmix_alpha: Beta parameter of CutMix's ``lam`` (1.0).
        mixup_alpha: Beta parameter of MixUp's ``lam`` (0.2).
        energy_temperature: ``T_e`` = 4.

    Attributes:
        generator: A CPU ``torch.Generator`` for ``lam``, the permutation and the box
            (``None``: the global RNG). Set it for exactly reproducible batches.
    """

    def __init__(self,
                 augmentation: str = 'cutmix',
                 cutmix_alpha: float = 1.0,
                 mixup_alpha: float = 0.2,
                 energy_temperature: float = 4.0) -> None:
        super().__init__(energy_temperature)
        augmentation = augmentation.lower()
        if augmentation not in AUGMENTATIONS:
            raise ValueError(f'augmentation must be one of {AUGMENTATIONS}, '
                             f'got {augmentation!r}')
        self.augmentation = augmentation
        self.cutmix_alpha = cutmix_alpha
        self.mixup_alpha = mixup_alpha
        self.generator: Optional[torch.Generator] = None

    def select(self, inputs: Tensor, logits_t: Tensor) -> Tensor:
        """``[x_0, x_1]`` followed by the images outside the energy band."""
        self.check_energy_thresholds()
        energy = self.teacher_energy(logits_t)
        selected = (energy > self.high_energy_threshold) | (
            energy < self.low_energy_threshold)
        return torch.cat([inputs[:2], inputs[selected]], dim=0)

    def mix(self, batch: Tensor) -> Tensor:
        """CutMix or MixUp ``batch`` with a random permutation of itself."""
        if self.augmentation == 'mixup':
            lam = sample_beta(self.mixup_alpha, self.mixup_alpha, self.generator)
            perm = torch.randperm(batch.shape[0], generator=self.generator)
            return lam * batch + (1.0 - lam) * batch[perm.to(batch.device)]
        lam = sample_beta(self.cutmix_alpha, self.cutmix_alpha, self.generator)
        perm = torch.randperm(batch.shape[0], generator=self.generator)
        r1, r2, c1, c2 = cutmix_box(batch.shape[-2], batch.shape[-1], lam, self.generator)
        mixed = batch.clone()
        mixed[..., r1:r2, c1:c2] = batch[perm.to(batch.device), ..., r1:r2, c1:c2]
        return mixed

    def forward(self, inputs: Tensor, logits_t: Tensor) -> Tensor:
        """Return the mixed auxiliary batch (B', C, H, W), ``B' >= 2``."""
        return self.mix(self.select(inputs.detach(), logits_t))
