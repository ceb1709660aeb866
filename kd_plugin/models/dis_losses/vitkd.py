from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import TokenAligners, ViTKDGenerator
from .utils import reduce_per_sample, upcast


@MODELS.register_module()
class ViTKDLoss(nn.Module):
    """ViTKD: mimicking of the shallow layers' tokens, generation of the deep layer's.

    Yang, Li, Zeng, Li, Yuan, Li. "ViTKD: Practical Guidelines for ViT feature knowledge
    distillation", arXiv 2209.02432 (official yzd-v/cls_KD ``ViTKDLoss``, branch 1.0).

    ``tokens_s`` / ``tokens_t`` are the (B, N + E, C) outputs of tapped transformer
    layers, shallow to deep: by default ``backbone.layers.0``, ``backbone.layers.1`` and
    the last layer after the final LayerNorm (``backbone.ln1`` of MMPretrain's
    ``VisionTransformer`` / ``DeiT3``). The first ``num_extra_tokens_s`` (``_t``) tokens
    of each (class token; class + distillation tokens for a distilled DeiT) are dropped,
    leaving the N patch tokens. With ``P_l`` the patch tokens of layer ``l``:

    .. math::
        L_{mimic} = \\frac{\\alpha}{B} \\sum_{l < L} \\sum_{b,n,c}
                    \\big(A_l(P^s_l) - P^t_l\\big)^2_{b,n,c}

        L_{gen} = \\frac{\\beta}{\\lambda B} \\sum_{b,n,c}
                  M_{b,n} \\big(G(P^s_L, M) - P^t_L\\big)^2_{b,n,c}

    ``A_l`` is a per-layer ``Linear(C_s, C_t)`` (:class:`TokenAligners`, identity when the
    widths are equal), ``G`` is :class:`ViTKDGenerator` (align, replace the masked tokens
    by a learnable mask token, conv3x3-ReLU-conv3x3 on the token grid), and ``M`` (B, N)
    is 1 on the masked tokens: per sample, the ``floor(N (1 - lambda))`` tokens with the
    smallest uniform noise are kept, the others masked (the original's argsort of noise).
    The teacher tokens are constants.

    Defaults are the original code's numbers (``alpha_vitkd`` 3e-5, ``beta_vitkd`` 3e-6,
    ``lambda_vitkd`` 0.5), which the paper's equations state the same way. Two
    generalisations that leave those numbers unchanged: any number of mimicked layers
    (all tapped tensors but the last) and the number of extra tokens (the original
    always drops exactly one, which breaks its square reshape for a distilled DeiT).

    The mask comes from :attr:`generator` when one is set (a ``torch.Generator``, for
    exact tests; the noise is drawn on its device), from PyTorch's global generator
    otherwise, as the original.

    Args:
        student_channels: Token width of the student (192 for DeiT-Tiny).
        teacher_channels: Token width of the teacher (384 for DeiT III-Small).
        num_extra_tokens_s: Leading non-patch tokens of the student (1 for ViT/DeiT,
            2 for ``DistilledVisionTransformer``, 0 without a class token).
        num_extra_tokens_t: The same for the teacher.
        alpha: ``alpha``, weight of the mimicking term.
        beta: ``beta``, weight of the generation term.
        mask_ratio: ``lambda``, fraction of masked deep tokens.
        num_mimic_layers: Number of shallow layers mimicked (2); the taps must give
            ``num_mimic_layers + 1`` tensors.
        patch_resolution: (H, W) of the patch grid; a square grid when ``None``.
        reduction: ``'mean'`` (the original: sum / B), ``'sum'`` or ``'none'`` (B,).

    Attributes:
        generator: ``Optional[torch.Generator]`` of the token mask, ``None`` by default.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 num_extra_tokens_s: int = 1,
                 num_extra_tokens_t: int = 1,
                 alpha: float = 3e-5,
                 beta: float = 3e-6,
                 mask_ratio: float = 0.5,
                 num_mimic_layers: int = 2,
                 patch_resolution: Optional[Sequence[int]] = None,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if not 0 < mask_ratio <= 1:
            raise ValueError(f'ViTKDLoss: mask_ratio must be in (0, 1], got {mask_ratio}')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.num_extra_tokens_s = num_extra_tokens_s
        self.num_extra_tokens_t = num_extra_tokens_t
        self.alpha = alpha
        self.beta = beta
        self.mask_ratio = mask_ratio
        self.num_mimic_layers = num_mimic_layers
        self.patch_resolution = (
            tuple(patch_resolution) if patch_resolution is not None else None)
        self.reduction = reduction
        self.generator: Optional[torch.Generator] = None
        self.align_mimic = TokenAligners(student_channels, teacher_channels,
                                         num_mimic_layers)
        self.generation = ViTKDGenerator(student_channels, teacher_channels)

    def forward(self, tokens_s: Sequence[Tensor], tokens_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted ViTKD term (mimicking + generation)."""
        patches_s, patches_t = self._patch_tokens(tokens_s, tokens_t)
        batch = patches_s[0].shape[0]
        low_s = self.align_mimic(patches_s[:-1])
        mimic = sum((upcast(s) - upcast(t).detach()).pow(2).reshape(batch, -1).sum(1)
                    for s, t in zip(low_s, patches_t[:-1]))

        high_s, high_t = patches_s[-1], patches_t[-1]
        mask = self.token_mask(batch, high_s.shape[1]).to(high_s.device)
        generated = upcast(self.generation(high_s, mask, self.patch_resolution))
        squared = (generated - upcast(high_t).detach()).pow(2) * mask.unsqueeze(-1)
        gen = squared.reshape(batch, -1).sum(1) / self.mask_ratio

        per_sample = self.alpha * mimic + self.beta * gen
        if self.reduction == 'mean':  # sum over the batch / B, as the original
            return per_sample.sum() / batch
        return reduce_per_sample(per_sample, self.reduction)

    def check_shapes(self, tokens_s: Sequence[Tensor],
                     tokens_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped tokens fit the connectors (shape probe):
        ``num_mimic_layers + 1`` tensors per model of (B, N, C) tokens, the same N
        patch tokens on both sides, the connectors' widths, and deep patch tokens that
        form the patch grid of the generator."""
        patches_s, _ = self._patch_tokens(tokens_s, tokens_t)
        high_s = patches_s[-1]
        # An all-kept mask (no RNG): the generator reshapes the tokens to the grid.
        self.generation(high_s, high_s.new_zeros(high_s.shape[:2]), self.patch_resolution)

    def token_mask(self, batch_size: int, num_tokens: int) -> Tensor:
        """(B, N) float mask: per sample, the ``floor(N (1 - mask_ratio))`` tokens with
        the smallest noise are kept (0), the others masked (1)."""
        device = (
            self.generator.device
            if self.generator is not None else self.generation.mask_token.device)
        noise = torch.rand((batch_size, num_tokens),
                           generator=self.generator,
                           device=device)
        num_keep = int(num_tokens * (1 - self.mask_ratio))
        order = noise.argsort(dim=1)
        mask = torch.ones((batch_size, num_tokens), device=device)
        mask.scatter_(1, order[:, :num_keep], 0.0)
        return mask

    def _patch_tokens(self, tokens_s: Sequence[Tensor],
                      tokens_t: Sequence[Tensor]) -> Tuple[Tuple[Tensor, ...], ...]:
        """Drop the extra tokens and check the shapes the connectors were built for."""
        expected = self.num_mimic_layers + 1
        if isinstance(tokens_s, Tensor) or isinstance(
                tokens_t, Tensor) or (len(tokens_s) != expected
                                      or len(tokens_t) != expected):
            raise ValueError(
                f'ViTKDLoss: expected {expected} tapped token tensors per model (the '
                f'{self.num_mimic_layers} mimicked layers, then the last), e.g. '
                "student_taps=dict(tokens=['backbone.layers.0', 'backbone.layers.1', "
                "'backbone.ln1']) and the same teacher_taps.")
        patches_s = tuple(x[:, self.num_extra_tokens_s:] for x in tokens_s)
        patches_t = tuple(x[:, self.num_extra_tokens_t:] for x in tokens_t)
        for index, (s, t) in enumerate(zip(patches_s, patches_t)):
            shapes = f'student {tuple(s.shape)}, teacher {tuple(t.shape)}'
            if s.dim() != 3 or t.dim() != 3:
                raise ValueError(f'ViTKDLoss: tap {index}: expected (B, N, C) tokens '
                                 f'(tap the transformer layers), got {shapes}.')
            if s.shape[:2] != t.shape[:2]:
                raise ValueError(
                    f'ViTKDLoss: tap {index}: after dropping {self.num_extra_tokens_s} '
                    f'student / {self.num_extra_tokens_t} teacher extra tokens the '
                    f'patch tokens differ: {shapes}. Check num_extra_tokens_s / _t and '
                    'that both models use the same patch grid.')
            if (s.shape[2], t.shape[2]) != (self.student_channels, self.teacher_channels):
                raise ValueError(
                    f'ViTKDLoss: tap {index}: got {shapes}, but the connectors map '
                    f'{self.student_channels} to {self.teacher_channels} channels; set '
                    f'student_channels={s.shape[2]} and teacher_channels={t.shape[2]}.')
        return patches_s, patches_t
