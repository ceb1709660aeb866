"""Give the teacher the input it was trained on when the student's differs.

One data preprocessor feeds both models (normalisation and batch augments run once), so
by default the teacher sees the student's tensor. A teacher trained at another
resolution or with another normalisation (a timm model with mean = std = 0.5, a
384 px fine-tune) then sees inputs it never saw in training and its predictions
degrade silently. :class:`TeacherInputAdapter` converts the student's batch:

.. math::
    x_t = \\frac{\\operatorname{resize}(x_s \\cdot \\sigma_s + \\mu_s) -
    \\mu_t}{\\sigma_t}

It undoes the student's normalisation (:math:`\\mu_s, \\sigma_s`: the distiller's data
preprocessor), resizes to the teacher's resolution and applies the teacher's
normalisation. Resizing (bilinear or bicubic, with or without antialiasing) is linear
and preserves constants, so it is computed as one resize followed by one per-channel
affine map, :math:`x_t = \\operatorname{resize}(x_s) \\cdot \\sigma_s / \\sigma_t +
(\\mu_s - \\mu_t) / \\sigma_t`.

The teacher sees the student's view (crop, flip, Mixup) resized, not a new crop of the
original image: a teacher at a higher resolution gets interpolated pixels, not more
detail. Channel order is not converted: both preprocessors must agree on RGB/BGR.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from kd_plugin.utils import compat

Size = Union[int, Sequence[int]]
INTERPOLATIONS = ('bilinear', 'bicubic', 'nearest', 'area')


def _channel_vector(values: Optional[Sequence[float]], name: str) -> Optional[Tensor]:
    if values is None:
        return None
    vector = torch.as_tensor(values, dtype=torch.float32).flatten()
    if vector.numel() == 0:
        raise ValueError(f'teacher_input.{name} must list one value per channel, got '
                         f'{values!r}')
    if name == 'std' and bool((vector <= 0).any()):
        raise ValueError(f'teacher_input.std must be positive, got {values!r}')
    return vector.view(-1, 1, 1)


def preprocessor_normalisation(data_preprocessor: nn.Module) -> Tuple[Tensor, Tensor]:
    """``(mean, std)`` as (C, 1, 1) tensors of an MMPretrain data preprocessor (0 and 1
    when it does not normalise)."""
    if compat.normalizes(data_preprocessor):
        return (data_preprocessor.mean.detach().float().cpu(),
                data_preprocessor.std.detach().float().cpu())
    return torch.zeros(1, 1, 1), torch.ones(1, 1, 1)


def _equal(a: Tensor, b: Tensor) -> bool:
    return torch.equal(*torch.broadcast_tensors(a, b))


def _pair(size: Optional[Size]) -> Optional[Tuple[int, int]]:
    if size is None:
        return None
    pair = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
    if len(pair) != 2 or min(pair) <= 0:
        raise ValueError(f'teacher_input.size must be a positive int or (h, w), got '
                         f'{size!r}')
    return pair


class TeacherInputAdapter(nn.Module):
    """Convert the student's normalised batch into the teacher's (see the module doc).

    Args:
        student_mean: The student's normalisation mean, (C, 1, 1) (0 if none).
        student_std: The student's normalisation std, (C, 1, 1) (1 if none).
        mean: The teacher's normalisation mean (pixel values, one per channel, as in
            a data preprocessor config); None: the student's.
        std: The teacher's normalisation std; None: the student's.
        size: The teacher's input size, ``int`` (square) or ``(h, w)``; None: the
            student's.
        interpolation: ``F.interpolate`` mode for resizing.
        antialias: Antialias when downsampling (bilinear / bicubic), as PIL does.
    """

    def __init__(self,
                 student_mean: Tensor,
                 student_std: Tensor,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 size: Optional[Size] = None,
                 interpolation: str = 'bicubic',
                 antialias: bool = True) -> None:
        super().__init__()
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'teacher_input.interpolation must be one of '
                             f'{INTERPOLATIONS}, got {interpolation!r}')
        if (mean is None) != (std is None):
            raise ValueError('teacher_input: give both mean and std of the teacher '
                             '(pixel values, as in its data_preprocessor), or neither.')
        self.size = _pair(size)
        self.interpolation = interpolation
        self.antialias = antialias and interpolation in ('bilinear', 'bicubic')
        mean_t = _channel_vector(mean, 'mean')
        std_t = _channel_vector(std, 'std')
        if mean_t is None or (_equal(mean_t, student_mean)
                              and _equal(std_t, student_std)):
            self.scale = self.shift = None
        else:
            self.register_buffer('scale', student_std / std_t, persistent=False)
            self.register_buffer(
                'shift', (student_mean - mean_t) / std_t, persistent=False)

    @property
    def is_identity(self) -> bool:
        """True when the teacher's input equals the student's (nothing to convert)."""
        return self.size is None and self.scale is None

    def forward(self, inputs: Tensor) -> Tensor:
        """The teacher's ``(B, C, H_t, W_t)`` batch from the student's ``(B, C, H,
        W)``."""
        if self.size is not None and tuple(inputs.shape[-2:]) != self.size:
            inputs = F.interpolate(
                inputs,
                size=self.size,
                mode=self.interpolation,
                antialias=self.antialias,
                **({} if self.interpolation in ('nearest',
                                                'area') else dict(align_corners=False)))
        if self.scale is not None:
            inputs = torch.addcmul(
                self.shift.to(inputs.dtype), inputs, self.scale.to(inputs.dtype))
        return inputs

    def extra_repr(self) -> str:
        return (f'size={self.size}, interpolation={self.interpolation!r}, '
                f'renormalise={self.scale is not None}')
