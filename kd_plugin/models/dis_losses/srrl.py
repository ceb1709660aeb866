from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ConvBNConnector
from .utils import upcast


@MODELS.register_module()
class SRRLLoss(nn.Module):
    """Softmax regression representation learning.

    Yang, Martinez, Bulat, Tzimiropoulos. "Knowledge Distillation via Softmax
    Regression Representation Learning", ICLR 2021.

    The student's last map ``F^s`` goes through a connector ``r``
    (:class:`ConvBNConnector`: 1x1 conv without bias, BN, ReLU, He-normal
    initialisation) and is global-average-pooled, ``v = GAP(r(F^s))``. Two terms
    compare it with the teacher: its channel means with the teacher's pooled vector
    (feature matching), and the teacher's **frozen** classifier applied to it with the
    teacher's logits (softmax regression; the gradient flows through the classifier
    into the student):

    .. math::
        L_{SRRL} = w \\Big( \\alpha \\frac{1}{B C_t} \\big\\| v - p^t \\big\\|_2^2
            + \\beta \\frac{1}{B K} \\big\\| W_t v + b_t - z^t \\big\\|_2^2 \\Big)

    ``p^t`` is the teacher's pooled vector (``pooled_t``, the GAP of its last map),
    ``W_t, b_t`` its classifier (``classifier_t``) and ``z^t`` its logits. This is the
    official code (jingyang2017/KD_SRRL: ``statm_loss`` + MSE of the logits; its
    training script calls ``statm_loss`` with the tensors in place of the instance, a
    ``TypeError`` as written, whose intent is this) and cls_KD's ``SRRLLoss``. The
    classifier is the teacher's linear layer, so the pooled student vector must have
    the teacher's ``D`` (``teacher_channels``). The teacher's inputs are constants.

    Args:
        student_channels: Channels of the student's last map (``feats_s[-1]``; tap the
            map the student's classifier pools, e.g. post-ReLU).
        teacher_channels: ``D`` of the teacher's pooled vector and classifier input.
        fm_weight: ``alpha`` of the feature-matching term (1).
        sr_weight: ``beta`` of the softmax-regression term (1 in the official ImageNet
            code; 5 in cls_KD's CIFAR-100 config).
        loss_weight: Overall weight ``w``.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 fm_weight: float = 1.0,
                 sr_weight: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.fm_weight = fm_weight
        self.sr_weight = sr_weight
        self.loss_weight = loss_weight
        self.connector = ConvBNConnector(
            student_channels, teacher_channels, with_relu=True)

    def forward(self, feats_s: Sequence[Tensor], pooled_t: Tensor, logits_t: Tensor,
                classifier_t: nn.Module) -> Tensor:
        """Return the weighted SRRL term."""
        self.check_shapes(feats_s, pooled_t)
        aligned = self.connector(feats_s[-1])
        pooled_s = upcast(aligned.mean(dim=(2, 3)))
        logits_st = upcast(classifier_t(pooled_s))
        fm_loss = F.mse_loss(pooled_s, upcast(pooled_t).detach())
        sr_loss = F.mse_loss(logits_st, upcast(logits_t).detach())
        return self.loss_weight * (self.fm_weight * fm_loss + self.sr_weight * sr_loss)

    def check_shapes(self, feats_s: Sequence[Tensor], pooled_t: Tensor) -> None:
        """Raise a ValueError unless the student's last map and the teacher's pooled
        vector have the widths the connector was built for. Every step runs it (free);
        the shape probe runs it when the model is built."""
        feat_s = feats_s[-1]
        shapes = (f'student map {tuple(feat_s.shape)}, '
                  f'teacher pooled {tuple(pooled_t.shape)}')
        if feat_s.dim() != 4 or pooled_t.dim() != 2:
            raise ValueError(f'SRRLLoss: expected a (B, C, H, W) student map and a '
                             f'(B, D) teacher pooled vector, got {shapes}.')
        if (feat_s.shape[1], pooled_t.shape[1]) != (self.student_channels,
                                                    self.teacher_channels):
            raise ValueError(
                f'SRRLLoss: got {shapes}, but the connector maps {self.student_channels} '
                f'student channels to {self.teacher_channels} teacher channels. Set '
                f'student_channels={feat_s.shape[1]} and teacher_channels='
                f"{pooled_t.shape[1]} (the input width of the teacher's classifier) in "
                'the loss config, or tap the student map the connector was built for.')
