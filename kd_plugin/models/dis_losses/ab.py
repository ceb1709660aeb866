from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ConvBNConnector
from kd_plugin.models.connectors.conv_bn import Size
from .utils import check_connector_stages, upcast


def activation_boundary_loss(source: Tensor, target: Tensor, margin: float) -> Tensor:
    """AB's alternative (hinge) loss, elementwise.

    A teacher neuron is active where ``t > 0``. The student's response ``s`` is pushed
    above ``margin`` where the teacher's neuron is active and below ``-margin`` where
    it is not: ``1[t > 0] ReLU(margin - s)^2 + 1[t <= 0] ReLU(margin + s)^2``.
    """
    active = target > 0
    return torch.where(active, (margin - source).relu(), (margin + source).relu()).pow(2)


@MODELS.register_module()
class ABLoss(nn.Module):
    """Distillation of activation boundaries.

    Heo, Lee, Yun, Choi. "Knowledge Transfer via Distillation of Activation Boundaries
    Formed by Hidden Neurons", AAAI 2019 (arXiv 1811.03233).

    The student's **pre-ReLU** stage maps (``preact_feats``) go through connectors
    ``r_i``, and each response is pushed to the side of zero where the teacher's
    neuron is, with a margin ``mu`` (:func:`activation_boundary_loss`). Stage ``i`` of
    ``n`` (shallow to deep) has the weight ``2^{i - n + 1}`` (the deepest 1):

    .. math::
        L_{AB} = w \\sum_{i=0}^{n-1} 2^{i-n+1} \\frac{1}{B} \\sum_{b,c,h,w}
            \\Big(1[T_i > 0] \\, \\mathrm{ReLU}(\\mu - r_i(S_i))^2
            + 1[T_i \\le 0] \\, \\mathrm{ReLU}(\\mu + r_i(S_i))^2\\Big)

    This is ``ABLoss`` of ``HobbitLong/RepDistiller@b84f547:distiller_zoo/AB.py``
    with its connectors (``Connector`` in ``models/util.py``): none (identity) where
    a student stage already has the teacher's channels and size, else ``ConvReg``
    without ReLU (:class:`ConvBNConnector` with ``bias=True, with_relu=False,
    he_init=False``: conv with bias + BN, PyTorch's initialisation, the conv chosen by
    the sizes as FitNet's). The original divides the sum by the batch and multiplies
    it by ``3 / 1000``: ``w = 3e-3``.

    How it trains (RepDistiller's ``--distill abound``): AB is an **initialisation**.
    For 30 epochs, the student's feature layers and the connectors train on this loss
    alone, with their own SGD and the student in ``eval()`` (``helper/pretrain.py``);
    then the student trains on its cross-entropy alone, the connectors unused
    (``helper/loops.py``: ``loss_kd = 0``). The AB configs express this with
    :class:`~kd_plugin.engine.stages.TrainingStageHook`. The paper's margin is also
    ``mu = 1``; the stage weights and ``3 / 1000`` are the code's scale.

    Args:
        student_channels: Channels of each student stage (``preact_feats_s``, shallow
            to deep; one connector per stage).
        teacher_channels: Channels of the matching teacher stages.
        student_sizes: Spatial size of each student map (``H`` or ``(H, W)``); with
            ``teacher_sizes`` it decides where a connector is needed and which conv it
            uses. ``None`` for both: equal sizes at every stage.
        teacher_sizes: Spatial size of each teacher map.
        margin: ``mu``.
        loss_weight: Weight ``w``.
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 student_sizes: Optional[Sequence[Size]] = None,
                 teacher_sizes: Optional[Sequence[Size]] = None,
                 margin: float = 1.0,
                 loss_weight: float = 3e-3) -> None:
        super().__init__()
        num_stages = len(student_channels)
        if len(teacher_channels) != num_stages:
            raise ValueError(
                f'ABLoss: student_channels={list(student_channels)} and '
                f'teacher_channels={list(teacher_channels)} must list the same number '
                'of stages.')
        given = [sizes for sizes in (student_sizes, teacher_sizes) if sizes is not None]
        if len(given) == 1 or any(len(sizes) != num_stages for sizes in given):
            raise ValueError(
                'ABLoss: give student_sizes and teacher_sizes together, one size per '
                f'stage ({num_stages}), or neither (equal sizes); got '
                f'student_sizes={student_sizes}, teacher_sizes={teacher_sizes}.')
        self.student_channels = tuple(student_channels)
        self.teacher_channels = tuple(teacher_channels)
        self.margin = margin
        self.loss_weight = loss_weight
        sizes_s = student_sizes or [None] * num_stages
        sizes_t = teacher_sizes or [None] * num_stages
        self.connectors = nn.ModuleList(
            self._connector(c_s, c_t, s_s, s_t) for c_s, c_t, s_s, s_t in zip(
                self.student_channels, self.teacher_channels, sizes_s, sizes_t))

    @staticmethod
    def _connector(c_s: int, c_t: int, size_s: Optional[Size],
                   size_t: Optional[Size]) -> nn.Module:

        def hw(size: Size) -> tuple:
            return (size, size) if isinstance(size, int) else tuple(size)

        same_size = size_s is None or hw(size_s) == hw(size_t)
        if c_s == c_t and same_size:
            return nn.Identity()
        if same_size:
            size_s = size_t = None
        return ConvBNConnector(
            c_s, c_t, size_s, size_t, bias=True, with_relu=False, he_init=False)

    def forward(self, preact_feats_s: Sequence[Tensor],
                preact_feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted AB term, summed over the stages."""
        connected = self._connected(preact_feats_s, preact_feats_t)
        num_stages = len(connected)
        loss = 0.0
        for stage, (f_s, f_t) in enumerate(zip(connected, preact_feats_t)):
            f_s, f_t = upcast(f_s), upcast(f_t).detach()
            hinge = activation_boundary_loss(f_s, f_t, self.margin)
            loss = loss + hinge.sum() / f_s.shape[0] * 2.0**(stage - num_stages + 1)
        return self.loss_weight * loss

    def check_shapes(self, preact_feats_s: Sequence[Tensor],
                     preact_feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped maps fit the connectors (shape
        probe)."""
        self._connected(preact_feats_s, preact_feats_t)

    def _connected(self, preact_feats_s: Sequence[Tensor],
                   preact_feats_t: Sequence[Tensor]) -> List[Tensor]:
        check_connector_stages('ABLoss', 'connectors', preact_feats_s, preact_feats_t,
                               self.student_channels, self.teacher_channels)
        connected = [
            connector(f_s) for connector, f_s in zip(self.connectors, preact_feats_s)
        ]
        for stage, (f_s, out,
                    f_t) in enumerate(zip(preact_feats_s, connected, preact_feats_t)):
            if out.shape != f_t.shape:
                raise ValueError(
                    f'ABLoss: stage {stage}: connectors[{stage}] maps the student map '
                    f'{tuple(f_s.shape)} to {tuple(out.shape)}, but the teacher map is '
                    f'{tuple(f_t.shape)}; set student_sizes[{stage}]='
                    f'{tuple(f_s.shape[2:])} and teacher_sizes[{stage}]='
                    f'{tuple(f_t.shape[2:])} in the loss config.')
        return connected
