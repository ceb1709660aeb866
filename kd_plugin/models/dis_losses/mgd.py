from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import MGDGenerator
from .utils import check_connector_pair, upcast


@MODELS.register_module()
class MGDLoss(nn.Module):
    """Masked generative distillation.

    Yang, Li, Shao, Gao, Yuan, Yuan. "Masked Generative Distillation", ECCV 2022.

    The student's last stage map ``F^s`` is aligned to the teacher's channels, randomly
    masked, and a small generator (:class:`MGDGenerator`) must reproduce the teacher's
    map ``F^t`` from it:

    .. math::
        L_{MGD} = w \\, \\frac{1}{B} \\sum_{b,c,h,w}
            \\big( G(\\mathrm{align}(F^s) \\cdot M)_{b,c,h,w} - F^t_{b,c,h,w} \\big)^2,
        \\qquad M_{b,c} = \\mathbb{1}[u_{b,c} \\geq \\lambda], \\; u \\sim U(0, 1)

    This is the official classification code (yzd-v/MGD ``cls``) and cls_KD's
    ``MGDLoss``: for classification the mask drops whole **channels** per sample
    (shape (B, C_t, 1, 1)); the paper's random pixel mask, present but commented out
    in that code, is the dense-prediction variant. Both maps must have the same
    spatial size (the original asserts it). The teacher map is a constant.

    The mask is drawn from :attr:`generator` when one is set (a ``torch.Generator``,
    for exact tests; the draw happens on its device and is moved to the features'),
    from PyTorch's global generator otherwise, as the original.

    The originals keep the teacher in train mode (the runner's ``model.train()``
    undoes their initial ``eval()``); the distiller runs it in eval mode.

    Args:
        student_channels: Channels of the student map (``feats_s[-1]``).
        teacher_channels: Channels of the teacher map (``feats_t[-1]``); an
            ``align`` 1x1 conv is created when they differ.
        mask_ratio: ``lambda``, probability that a channel is masked (0.15).
        loss_weight: ``w`` (``alpha_mgd``: 7e-5 on ImageNet, 1.2e-3 in cls_KD's
            CIFAR-100 config).

    Attributes:
        generator: ``Optional[torch.Generator]`` of the mask, ``None`` by default.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 mask_ratio: float = 0.15,
                 loss_weight: float = 7e-5) -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.mask_ratio = mask_ratio
        self.loss_weight = loss_weight
        self.generator: Optional[torch.Generator] = None
        self.generation = MGDGenerator(student_channels, teacher_channels)

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted MGD term on the last stage maps."""
        feat_s, feat_t = self._last_pair(feats_s, feats_t)
        mask = self.channel_mask(feat_t.shape[0]).to(feat_s.dtype)
        generated = upcast(self.generation(feat_s, mask))
        squared = (generated - upcast(feat_t).detach()).pow(2)
        return self.loss_weight * squared.sum() / feat_t.shape[0]

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the last tapped maps fit the generation block
        (shape probe): its channels, and the same spatial size."""
        self._last_pair(feats_s, feats_t)

    def _last_pair(self, feats_s: Sequence[Tensor],
                   feats_t: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """The last stage maps, checked against the generation block."""
        feat_s, feat_t = feats_s[-1], feats_t[-1]
        check_connector_pair('MGDLoss', 'last stage (feats[-1])', 'generation', feat_s,
                             feat_t, self.student_channels, self.teacher_channels)
        if feat_s.shape[2:] != feat_t.shape[2:]:
            raise ValueError(
                f'MGDLoss: the last stage maps must have the same spatial size, got '
                f'student {tuple(feat_s.shape)}, teacher {tuple(feat_t.shape)}; tap maps '
                'of equal size (student_taps / teacher_taps feats).')
        return feat_s, feat_t

    def channel_mask(self, batch_size: int) -> Tensor:
        """A (B, C_t, 1, 1) mask: 0 with probability ``mask_ratio``, else 1."""
        device = (
            self.generator.device
            if self.generator is not None else next(self.generation.parameters()).device)
        noise = torch.rand((batch_size, self.teacher_channels, 1, 1),
                           generator=self.generator,
                           device=device)
        mask = (noise >= self.mask_ratio).float()
        return mask.to(next(self.generation.parameters()).device)
