"""MGD's generation block: align the student map, then generate the teacher map."""
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class MGDGenerator(nn.Module):
    """Generate the teacher map from a masked student map.

    Yang, Li, Shao, Gao, Yuan, Yuan. "Masked Generative Distillation", ECCV 2022
    (official yzd-v/MGD and cls_KD ``MGDLoss``):

    ``G(x, M) = conv3x3(ReLU(conv3x3(align(x) * M)))``

    where ``align`` is a 1x1 conv with bias from the student's to the teacher's channels,
    present only when they differ (``None`` otherwise), and both 3x3 convs keep the
    teacher's channels (padding 1, bias). PyTorch's default initialisation, as the
    original.

    Args:
        in_channels: Channels of the student map.
        out_channels: Channels of the teacher map.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.align = (
            nn.Conv2d(in_channels, out_channels, 1)
            if in_channels != out_channels else None)
        self.generation = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Return ``G(x, mask)``; ``mask`` broadcasts against the aligned map (B, C_t,
        H, W), e.g. a (B, C_t, 1, 1) channel mask of zeros and ones."""
        if self.align is not None:
            x = self.align(x)
        return self.generation(x * mask)
