from typing import Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ConvBNConnector
from kd_plugin.models.connectors.conv_bn import Size
from .utils import check_connector_pair, upcast


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """FitNet hint learning with a trainable regressor.

    Romero, Ballas, Kahou, Chassang, Gatta, Bengio. "FitNets: Hints for Thin Deep
    Nets", ICLR 2015.

    A regressor ``r`` maps the student's guided layer ``F^s`` onto the teacher's hint
    layer ``F^t`` (both ``feats[hint_stage]``):

    .. math::
        L_{FitNet} = w \\cdot \\frac{1}{B C H W} \\big\\| r(F^s) - F^t \\big\\|_2^2

    This is RepDistiller's ``HintLoss`` / mdistiller's ``FitNet``: ``r`` is their
    ``ConvReg`` (:class:`ConvBNConnector` with ``bias=True, with_relu=True`` and
    PyTorch's default initialisation: a 1x1 conv for equal sizes, a stride-2 conv for a
    student map twice the teacher's, a transposed conv for half of it), one stage,
    ``feats[2]`` on CIFAR (``HINT_LAYER``), trained jointly with the student's
    cross-entropy. The paper trains in two stages (hint pre-training of the lower
    layers, then KD) and writes ``1/2 ||.||^2``; the single-stage mean is what the
    benchmark numbers use, and the factor is part of ``loss_weight``.

    mdistiller probes the shapes with a forward of the freshly loaded teacher in train
    mode, which moves its BN running statistics toward those of one noise batch; the
    regressor here is built from explicit channels and sizes, so the teacher is never
    touched. The teacher map is a constant.

    Args:
        student_channels: Channels of the student's ``feats[hint_stage]``.
        teacher_channels: Channels of the teacher's ``feats[hint_stage]``.
        student_size: Spatial size (``H`` or ``(H, W)``) of the student's map; with
            ``teacher_size`` it selects the regressor's conv. ``None`` for both: equal
            sizes (1x1 conv).
        teacher_size: Spatial size of the teacher's map.
        hint_stage: Index of the hint stage in ``feats_s`` and ``feats_t`` (2: the
            second stage of the CIFAR zoo's default taps, whose index 0 is the stem).
        loss_weight: Weight ``w`` (mdistiller's ``FEAT_WEIGHT``: 100 on CIFAR-100).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 student_size: Optional[Size] = None,
                 teacher_size: Optional[Size] = None,
                 hint_stage: int = 2,
                 loss_weight: float = 100.0) -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.hint_stage = hint_stage
        self.loss_weight = loss_weight
        self.regressor = ConvBNConnector(
            student_channels,
            teacher_channels,
            student_size,
            teacher_size,
            bias=True,
            with_relu=True,
            he_init=False)

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted hint term."""
        feat_s, feat_t = self._hint_pair(feats_s, feats_t)
        hint = upcast(self.regressor(feat_s))
        self._check_hint(feat_s, hint, feat_t)
        return self.loss_weight * F.mse_loss(hint, upcast(feat_t).detach())

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped maps fit the regressor (shape probe)."""
        feat_s, feat_t = self._hint_pair(feats_s, feats_t)
        self._check_hint(feat_s, self.regressor(feat_s), feat_t)

    def _hint_pair(self, feats_s: Sequence[Tensor],
                   feats_t: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        for role, feats in (('student', feats_s), ('teacher', feats_t)):
            if not -len(feats) <= self.hint_stage < len(feats):
                raise ValueError(
                    f'FitNetLoss: hint_stage={self.hint_stage}, but the {role} gives '
                    f'{len(feats)} stage maps; set hint_stage or the feats taps.')
        feat_s, feat_t = feats_s[self.hint_stage], feats_t[self.hint_stage]
        check_connector_pair('FitNetLoss', f'hint stage {self.hint_stage}', 'regressor',
                             feat_s, feat_t, self.student_channels, self.teacher_channels)
        return feat_s, feat_t

    def _check_hint(self, feat_s: Tensor, hint: Tensor, feat_t: Tensor) -> None:
        if hint.shape != feat_t.shape:
            raise ValueError(
                f'FitNetLoss: hint stage {self.hint_stage}: the regressor maps the '
                f'student map {tuple(feat_s.shape)} to {tuple(hint.shape)}, but the '
                f'teacher map is {tuple(feat_t.shape)}; set student_size='
                f'{tuple(feat_s.shape[2:])} and teacher_size='
                f'{tuple(feat_t.shape[2:])} in the loss config.')
