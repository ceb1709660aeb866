import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, check_pooled_pair


@MODELS.register_module()
class CCLoss(nn.Module):
    """Correlation congruence.

    Peng, Jin, Liu, Zhou, Wu, Liu, Li, Zhang. "Correlation Congruence for Knowledge
    Distillation", ICCV 2019 (arXiv 1904.01802).

    Both pooled vectors are embedded by trainable linear layers (``feat_dim`` wide, with
    bias, PyTorch's default initialisation; the teacher's embedding trains too):
    ``e_s = W_s x_s + b_s``, ``e_t = W_t x_t + b_t``. With
    ``delta_i = |e_{s,i} - e_{t,i}|`` (element-wise), the default is

    .. math::
        L_{CC} = \\frac{w}{B - 1} \\sum_{i=1}^{B-1} \\sum_d
                 \\delta_{i,d} \\, \\delta_{i+1,d}

    This is ``Correlation`` of ``HobbitLong/RepDistiller@b84f547:distiller_zoo/CC.py``,
    the code the authors gave RepDistiller (its ``LinearEmbed`` of ``models/util.py`` on
    ``feat[-1]`` of both models, wired in ``train_student.py``), which produced the
    cited numbers. It correlates the embedding errors of neighbouring samples in the
    batch, not the samples' features.

    The paper congruences the samples' correlation matrices instead: on L2-normalised
    embeddings, ``K_ij = k(e_i, e_j)`` with the Gaussian RBF kernel expanded to order
    ``P``, ``k(x, y) = sum_{p=0}^{P} exp(-2 gamma) (2 gamma)^p / p! (x . y)^p``, and
    ``L = w / B^2 ||K_t - K_s||_F^2``; ``match_reference=False`` computes that (its
    scale differs: re-tune ``loss_weight``).

    Args:
        student_channels: Width of ``pooled_s`` (e.g. 256 for resnet8x4).
        teacher_channels: Width of ``pooled_t``.
        feat_dim: Embedding width (RepDistiller's ``--feat_dim``, 128).
        loss_weight: Weight ``w`` (RepDistiller's ``-b``: 0.02 on CIFAR-100).
        match_reference: True (default): RepDistiller's formula above. False: the
            paper's correlation matrices.
        gamma: ``gamma`` of the kernel (paper mode). 0.4 and ``order`` 2 are the
            defaults of ``AberHu/Knowledge-Distillation-Zoo@65470c8:train_kd.py``; the
            paper's own values were not checked.
        order: ``P``, the order of the Taylor expansion (paper mode).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 feat_dim: int = 128,
                 loss_weight: float = 0.02,
                 match_reference: bool = True,
                 gamma: float = 0.4,
                 order: int = 2) -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.loss_weight = loss_weight
        self.match_reference = match_reference
        self.gamma = gamma
        self.order = order
        self.embed_s = nn.Linear(student_channels, feat_dim)
        self.embed_t = nn.Linear(teacher_channels, feat_dim)

    def check_shapes(self, pooled_s: Tensor, pooled_t: Tensor) -> None:
        """Raise a ValueError unless the taps give (B, D) vectors as wide as the
        embeddings were built for (shape probe)."""
        check_pooled_pair('CCLoss', pooled_s, pooled_t, min_batch=1)
        widths = (pooled_s.shape[1], pooled_t.shape[1])
        if widths != (self.student_channels, self.teacher_channels):
            raise ValueError(
                f'CCLoss: got pooled vectors of width student {widths[0]}, teacher '
                f'{widths[1]}, but the embeddings take {self.student_channels} and '
                f'{self.teacher_channels}. Set student_channels={widths[0]} and '
                f'teacher_channels={widths[1]} in the loss config.')

    def forward(self, pooled_s: Tensor, pooled_t: Tensor) -> Tensor:
        """Return the weighted CC term."""
        self.check_shapes(pooled_s, pooled_t)
        check_pooled_pair('CCLoss', pooled_s, pooled_t, min_batch=2)
        with autocast_off(pooled_s):
            dtype = self.embed_s.weight.dtype
            embed_s = self.embed_s(pooled_s.to(dtype))
            embed_t = self.embed_t(pooled_t.detach().to(dtype))
            if self.match_reference:
                delta = (embed_s - embed_t).abs()
                loss = (delta[:-1] * delta[1:]).sum(1).mean()
            else:
                loss = (self._correlation(embed_s) -
                        self._correlation(embed_t)).pow(2).mean()
        return self.loss_weight * loss

    def _correlation(self, embed: Tensor) -> Tensor:
        """(B, D) -> (B, B) Taylor-expanded Gaussian RBF kernel of the unit vectors."""
        unit = F.normalize(embed, dim=1)
        cosine = unit @ unit.t()
        scale = math.exp(-2 * self.gamma)
        kernel = torch.zeros_like(cosine)
        for power in range(self.order + 1):
            coefficient = scale * (2 * self.gamma)**power / math.factorial(power)
            kernel = kernel + coefficient * cosine.pow(power)
        return kernel
