"""Small numerical helpers shared by the distillation losses."""
import torch
from torch import Tensor

LOW_PRECISION = (torch.float16, torch.bfloat16)


def upcast(tensor: Tensor) -> Tensor:
    """Return ``tensor`` in float32 if it is fp16/bf16 (AMP), unchanged otherwise.

    Losses take logs and exponentials of logits; under autocast those come in half
    precision, where ``log(sum(p))`` of small probabilities underflows. float64 inputs
    (the reference tests) stay float64.
    """
    return tensor.float() if tensor.dtype in LOW_PRECISION else tensor


def reduce_per_sample(per_sample: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` ('mean' | 'sum' | 'none') to a (B,) per-sample loss."""
    if reduction == 'mean':
        return per_sample.mean()
    if reduction == 'sum':
        return per_sample.sum()
    if reduction == 'none':
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def warmup_factor(epoch: int, warmup_epochs: int) -> float:
    """Linear warm-up ``min((epoch + 1) / W, 1)`` for the runner's 0-based ``epoch``.

    It equals the mdistiller family's ``min(epoch / W, 1)`` with their 1-based epochs.
    ``warmup_epochs <= 0`` disables the warm-up.
    """
    if warmup_epochs <= 0:
        return 1.0
    return min((epoch + 1) / warmup_epochs, 1.0)
