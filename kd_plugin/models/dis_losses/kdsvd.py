from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, upcast


@MODELS.register_module()
class KDSVDLoss(nn.Module):
    """Knowledge distillation with singular value decomposition (KD-SVD).

    Lee, Kim, Song. "Self-supervised Knowledge Distillation Using Singular Value
    Decomposition", ECCV 2018 (arXiv 1807.06819).

    Each stage map is read as a batch of matrices ``X`` and decomposed,
    ``X = U S V^T``. The teacher keeps its top ``k`` right singular vectors, the student
    its top ``k + 3``; each column is L2-normalised. Every teacher vector takes the
    student vector of largest ``|cos|`` to it, with the cosine's sign (SVD's sign
    ambiguity), and both are scaled by the teacher's L2-normalised top-``k`` singular
    values: ``v^t_i``, ``v^s_i`` (B, n_i, k) at stage ``i``. Consecutive stages are
    related by an RBF kernel over all entry pairs,
    ``G_i[a, b, j] = exp(-(v_i[a, j] - v_{i-1}[b, j])^2 / 8)``, and

    .. math::
        L_{KDSVD} = \\frac{w}{B} \\sum_{i \\geq 1}
                    \\big\\| G^s_i - G^t_i \\big\\|_F^2

    (non-finite entries of the decompositions and of the squared differences count as
    zero). The teacher terms are constants; gradients reach the student through its
    singular vectors.

    This is mdistiller's ``kdsvd_loss``
    (``megvii-research/mdistiller@a08d46f:mdistiller/distillers/KDSVD.py``, a port of
    the authors' TensorFlow code), which reads a (B, C, H, W) map as ``B`` matrices of
    ``C*H`` rows and ``W`` columns (``feat.view(B, C * H, W)``), so its singular vectors
    live on the width axis and the kernel relates columns. The paper, the authors'
    code and RepDistiller's ``distiller_zoo/KDSVD.py`` decompose the ``H*W x C`` matrix
    of each map (positions x channels), relating channels; ``match_reference=False``
    does that. Either way the student's and the teacher's maps must share that axis
    (width, or channels), stage by stage.

    Args:
        k: Number of teacher singular vectors (mdistiller's ``KDSVD.K``: 1).
        loss_weight: Weight ``w`` (``KDSVD.LOSS.FEAT_WEIGHT``: 1).
        match_reference: True (default): mdistiller's ``C*H x W`` matrices. False: the
            paper's ``H*W x C`` matrices.
    """

    extra_student_vectors = 3
    rbf_width = 8.0

    def __init__(self,
                 k: int = 1,
                 loss_weight: float = 1.0,
                 match_reference: bool = True) -> None:
        super().__init__()
        self.k = k
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the stages pair up (at least two) on the axis the
        singular vectors live on (shape probe)."""
        if self.match_reference:
            axis, dim, mode = 'width', 3, 'match_reference=True, as mdistiller'
        else:
            axis, dim, mode = 'channels', 1, 'match_reference=False, as the paper'
        if isinstance(feats_s, Tensor) or isinstance(feats_t, Tensor) or \
                len(feats_s) != len(feats_t) or len(feats_s) < 2:
            raise ValueError(
                'KDSVDLoss: needs the same number (at least 2) of student and teacher '
                'stage maps, shallow to deep: it relates consecutive stages. Tap them, '
                "e.g. student_taps=dict(feats=['backbone.layer1', 'backbone.layer2', "
                "'backbone.layer3']) and the same teacher_taps.")
        for stage, (f_s, f_t) in enumerate(zip(feats_s, feats_t)):
            shapes = f'student {tuple(f_s.shape)}, teacher {tuple(f_t.shape)}'
            if f_s.dim() != 4 or f_t.dim() != 4 or f_s.shape[0] != f_t.shape[0]:
                raise ValueError(f'KDSVDLoss: stage {stage}: expected (B, C, H, W) maps '
                                 f'of the same batch, got {shapes}.')
            if f_s.shape[dim] != f_t.shape[dim]:
                raise ValueError(
                    f'KDSVDLoss: stage {stage}: the singular vectors live on the '
                    f'{axis} ({mode}), which differ ({shapes}). Tap stages of equal '
                    f'{axis}.')

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted KD-SVD term."""
        self.check_shapes(feats_s, feats_t)
        loss = feats_s[0].new_zeros((), dtype=upcast(feats_s[0]).dtype)
        previous = None
        with autocast_off(feats_s[0]):
            for f_s, f_t in zip(feats_s, feats_t):
                vectors = self._aligned_vectors(upcast(f_s), upcast(f_t).detach())
                if previous is not None:
                    loss = loss + self._stage_term(vectors, previous)
                previous = vectors
        return self.loss_weight * loss / feats_s[0].shape[0]

    def _matrices(self, feat: Tensor) -> Tensor:
        batch, channels, height, width = feat.shape
        if self.match_reference:
            return feat.reshape(batch, channels * height, width)
        return feat.reshape(batch, channels, height * width).transpose(1, 2)

    def _right_vectors(self, feat: Tensor, count: int) -> Tuple[Tensor, Tensor]:
        """The top ``count`` right singular vectors (B, n, count) and singular values
        (B, count), each L2-normalised, non-finite entries zeroed."""
        _, values, vh = torch.linalg.svd(self._matrices(feat), full_matrices=False)
        vectors = _finite(vh.transpose(1, 2))[:, :, :count]
        values = _finite(values)[:, :count]
        return F.normalize(vectors, dim=1), F.normalize(values, dim=1)

    def _aligned_vectors(self, feat_s: Tensor, feat_t: Tensor) -> Tuple[Tensor, Tensor]:
        """``(v^s, v^t)`` of one stage, scaled by the teacher's singular values."""
        v_t, s_t = self._right_vectors(feat_t, self.k)
        v_s, _ = self._right_vectors(feat_s, self.k + self.extra_student_vectors)
        cosine = v_s.transpose(1, 2) @ v_t  # (B, k + 3, k)
        best = cosine.abs() == cosine.abs().amax(dim=1, keepdim=True)
        selection = torch.where(best, cosine.sign(), torch.zeros_like(cosine))
        scale = s_t.unsqueeze(1)
        return (v_s @ selection) * scale, v_t * scale

    def _stage_term(self, vectors: Tuple[Tensor, Tensor],
                    previous: Tuple[Tensor, Tensor]) -> Tensor:
        """``||G^s - G^t||^2`` between this stage and the previous one."""
        kernels = [self._rbf(now, before) for now, before in zip(vectors, previous)]
        squared = (kernels[0] - kernels[1].detach()).pow(2)
        return _finite(squared).sum()

    def _rbf(self, now: Tensor, before: Tensor) -> Tensor:
        return torch.exp(-(now.unsqueeze(2) - before.unsqueeze(1)).pow(2) /
                         self.rbf_width)


def _finite(tensor: Tensor) -> Tensor:
    return torch.where(torch.isfinite(tensor), tensor, torch.zeros_like(tensor))
