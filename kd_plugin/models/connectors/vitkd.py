"""ViTKD's connectors: per-layer token aligners (mimicking) and the token generator."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class TokenAligners(nn.Module):
    """One ``Linear(in_channels, out_channels)`` (with bias) per tapped layer, applied to
    its tokens (B, N, C_s) -> (B, N, C_t).

    ViTKD's ``align2`` (official yzd-v/cls_KD ``ViTKDLoss``): created only when the widths
    differ; with equal widths the tokens pass unchanged (:attr:`layers` is ``None``).
    PyTorch's default initialisation, as the original.

    Args:
        in_channels: Token width of the student.
        out_channels: Token width of the teacher.
        num_layers: How many layers are aligned (2 in ViTKD: layers 0 and 1).
    """

    def __init__(self, in_channels: int, out_channels: int, num_layers: int = 2) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.layers = (
            nn.ModuleList(
                nn.Linear(in_channels, out_channels)
                for _ in range(num_layers)) if in_channels != out_channels else None)

    def forward(self, tokens: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """Align each layer's tokens with its own linear layer."""
        if len(tokens) != self.num_layers:
            raise ValueError(f'TokenAligners: built for {self.num_layers} layers, got '
                             f'{len(tokens)} token tensors.')
        if self.layers is None:
            return tuple(tokens)
        return tuple(layer(x) for layer, x in zip(self.layers, tokens))


@MODELS.register_module()
class ViTKDGenerator(nn.Module):
    """Generate the teacher's deep tokens from the student's, some of them masked.

    ViTKD's generation branch (official yzd-v/cls_KD ``ViTKDLoss``):

    1. ``x = align(tokens)``: ``Linear(C_s, C_t)`` with bias, only when the widths differ;
    2. the tokens not in ``keep`` are replaced by the learnable :attr:`mask_token`
       (1, 1, C_t), zero-initialised, at their own positions;
    3. the (B, N, C_t) tokens, in row-major patch order, become a (B, C_t, H, W) map and
       go through ``conv3x3 -> ReLU -> conv3x3`` (C_t channels, padding 1, bias);
    4. the result is returned as tokens (B, N, C_t).

    Args:
        in_channels: Token width of the student.
        out_channels: Token width of the teacher.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.align = (
            nn.Linear(in_channels, out_channels) if in_channels != out_channels else None)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, out_channels))
        self.generation = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )

    def forward(self,
                tokens: Tensor,
                mask: Tensor,
                patch_resolution: Optional[Tuple[int, int]] = None) -> Tensor:
        """Return the generated tokens (B, N, C_t).

        Args:
            tokens: Student patch tokens (B, N, C_s).
            mask: (B, N), 1 where a token is replaced by the mask token, 0 where kept.
            patch_resolution: (H, W) with H * W = N; a square grid when ``None``.
        """
        x = self.align(tokens) if self.align is not None else tokens
        batch, num_tokens, channels = x.shape
        height, width = patch_resolution or square_grid(num_tokens)
        if height * width != num_tokens:
            raise ValueError(f'ViTKDGenerator: {num_tokens} tokens do not form a '
                             f'{height}x{width} grid; set patch_resolution.')
        masked = mask.to(x.dtype).unsqueeze(-1)
        x = x * (1 - masked) + self.mask_token.to(x.dtype) * masked
        x = x.transpose(1, 2).reshape(batch, channels, height, width)
        return self.generation(x).flatten(2).transpose(1, 2)


def square_grid(num_tokens: int) -> Tuple[int, int]:
    side = int(round(num_tokens**0.5))
    if side * side != num_tokens:
        raise ValueError(f'{num_tokens} patch tokens are not a square grid: remove the '
                         'extra tokens (num_extra_tokens_s / _t) or set '
                         'patch_resolution.')
    return side, side
