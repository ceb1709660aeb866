import math
from typing import List, Sequence

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ConvBNConnector
from .utils import aligned_stage_pairs, check_connector_stages


def margin_from_bn(bn: nn.Module) -> Tensor:
    """Per-channel margin ``m_c`` (C,) of OFD from the BN that precedes a ReLU.

    The pre-ReLU response of channel ``c`` is modelled as ``x ~ N(beta_c, gamma_c^2)``
    from the BN's affine parameters (``s = |gamma_c|``, ``m = beta_c``), and the margin
    is the expectation of its negative part:

    .. math::
        m_c = E[x \\mid x < 0] = m - s \\, \\frac{\\varphi(m / s)}{\\Phi(-m / s)}
        \\quad \\text{if } \\Phi(-m / s) > 0.001, \\qquad m_c = -3 s \\text{ otherwise.}

    Computed in float64 (the original uses Python floats), detached. Channels with
    ``gamma = 0`` get the margin 0 (or ``beta`` when it is negative).
    """
    if getattr(bn, 'weight', None) is None or getattr(bn, 'bias', None) is None:
        raise ValueError(f'OFDLoss: margins come from an affine BN (weight and bias), '
                         f'got {type(bn).__name__}; tap the BN before each ReLU with '
                         "teacher_taps=dict(preact_bn=['<path>:module', ...]).")
    std = bn.weight.detach().double().abs()
    mean = bn.bias.detach().double()
    ratio = mean / std
    tail = torch.special.ndtr(-ratio)
    density = torch.exp(-0.5 * ratio.pow(2)) / math.sqrt(2 * math.pi)
    expected = mean - std * density / tail
    return torch.where(tail > 0.001, expected, -3 * std)


def partial_l2(student: Tensor, teacher: Tensor, margin: Tensor) -> Tensor:
    """OFD's partial L2 distance, elementwise.

    ``d(S, T) = 0`` where ``S <= T' <= 0`` and ``(S - T')^2`` elsewhere, with the
    teacher response raised to the margin, ``T' = max(T, m)``: a student response
    below a negative teacher response is not penalised, because both vanish after the
    ReLU.
    """
    target = torch.max(teacher, margin)
    keep = (student > target) | (target > 0)
    return (student - target).pow(2) * keep


@MODELS.register_module()
class OFDLoss(nn.Module):
    """Overhaul of feature distillation.

    Heo, Kim, Yun, Park, Kwak, Choi. "A Comprehensive Overhaul of Feature
    Distillation", ICCV 2019.

    OFD distils the **pre-ReLU** stage maps (``preact_feats``). Each student map goes
    through a connector ``r_i`` (:class:`ConvBNConnector`: 1x1 conv without bias, BN,
    He-normal initialisation); the teacher map is raised to a per-channel margin
    ``m_i`` computed from the teacher's BN before that ReLU (:func:`margin_from_bn`),
    and the partial L2 distance (:func:`partial_l2`) is summed over channels and
    positions, averaged over the batch, and weighted ``1 / 2^(n-1-i)`` (the deepest of
    the ``n`` stages has weight 1):

    .. math::
        L_{OFD} = w \\sum_{i=0}^{n-1} \\frac{1}{2^{n-1-i}} \\frac{1}{B}
            \\sum_{b,c,h,w} d_p\\big(r_i(F^s_i), \\max(F^t_i, m_i)\\big)

    This is the official code (clovaai/overhaul-distillation) and mdistiller alike,
    with ``w = 1e-3`` on CIFAR-100 (the original divides by the batch and by 1000).
    Where sizes differ, the larger map is average-pooled to the smaller (mdistiller
    pools the teacher; the official code needs equal sizes).

    The BN modules come from the teacher through ``:module`` taps, e.g.
    ``teacher_taps=dict(preact_bn=['backbone.layer1.4.bn2:module', ...])``, one per
    stage; the margins are recomputed from their (frozen) affine parameters at each
    call, so they are those of the loaded teacher checkpoint.

    Teacher mode: the original trains with the teacher **in train mode** (both
    repositories on purpose): its features use batch statistics and its BN running
    statistics drift. The distiller's ``teacher_norm_train=True`` reproduces that (the
    OFD configs set it); with the default ``False`` the teacher maps use the running
    statistics of the checkpoint. The margins use only the affine parameters, which do
    not change either way.

    Args:
        student_channels: Channels of each compared student stage (the maps of
            ``preact_feats_s``, shallow to deep; one connector per stage).
        teacher_channels: Channels of the matching teacher stages.
        loss_weight: Weight ``w`` (1e-3 on CIFAR-100, 1e-4 on ImageNet).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 loss_weight: float = 1e-3) -> None:
        super().__init__()
        if len(student_channels) != len(teacher_channels):
            raise ValueError(
                f'OFDLoss: student_channels={list(student_channels)} and '
                f'teacher_channels={list(teacher_channels)} must list the same number '
                'of stages.')
        self.student_channels = tuple(student_channels)
        self.teacher_channels = tuple(teacher_channels)
        self.loss_weight = loss_weight
        self.connectors = nn.ModuleList(
            ConvBNConnector(c_s, c_t)
            for c_s, c_t in zip(self.student_channels, self.teacher_channels))

    def forward(self, preact_feats_s: Sequence[Tensor], preact_feats_t: Sequence[Tensor],
                preact_bn_t: Sequence[nn.Module]) -> Tensor:
        """Return the weighted OFD term, summed over the stages."""
        margins = self._checked_margins(preact_feats_s, preact_feats_t, preact_bn_t)
        connected = [
            connector(f_s) for connector, f_s in zip(self.connectors, preact_feats_s)
        ]
        pairs = aligned_stage_pairs('OFDLoss', connected, preact_feats_t)
        num_stages = len(pairs)
        loss = 0.0
        for stage, ((f_s, f_t), margin) in enumerate(zip(pairs, margins)):
            margin = margin.to(f_t.dtype).view(1, -1, 1, 1)
            distance = partial_l2(f_s, f_t.detach(), margin)
            loss = loss + distance.sum() / f_s.shape[0] / 2**(num_stages - 1 - stage)
        return self.loss_weight * loss

    def check_shapes(self, preact_feats_s: Sequence[Tensor],
                     preact_feats_t: Sequence[Tensor],
                     preact_bn_t: Sequence[nn.Module]) -> None:
        """Raise a ValueError unless the tapped maps and BNs fit the connectors (shape
        probe): one map pair and one teacher BN per connector, with its channels, and
        spatial sizes that pool to each other."""
        self._checked_margins(preact_feats_s, preact_feats_t, preact_bn_t)
        # The 1x1 connectors keep the spatial size: the raw maps pair as forward's do.
        aligned_stage_pairs('OFDLoss', preact_feats_s, preact_feats_t)

    def _checked_margins(self, preact_feats_s: Sequence[Tensor],
                         preact_feats_t: Sequence[Tensor],
                         preact_bn_t: Sequence[nn.Module]) -> List[Tensor]:
        """The margins of every stage, once the maps are checked against the
        connectors."""
        check_connector_stages('OFDLoss', 'connectors', preact_feats_s, preact_feats_t,
                               self.student_channels, self.teacher_channels)
        return self._margins(preact_bn_t)

    def _margins(self, preact_bn_t: Sequence[nn.Module]) -> List[Tensor]:
        if isinstance(preact_bn_t, nn.Module) or len(preact_bn_t) != len(self.connectors):
            got = (1 if isinstance(preact_bn_t, nn.Module) else len(preact_bn_t))
            raise ValueError(
                f'OFDLoss: needs one teacher BN per stage ({len(self.connectors)}), got '
                f'{got}; declare them in the same order as the preact_feats taps: '
                "teacher_taps=dict(preact_bn=['<BN before the ReLU of stage 0>:module', "
                '...]).')
        margins = []
        for stage, (bn, channels) in enumerate(zip(preact_bn_t, self.teacher_channels)):
            margin = margin_from_bn(bn)
            if margin.numel() != channels:
                raise ValueError(
                    f'OFDLoss: stage {stage}: the teacher BN preact_bn_t[{stage}] has '
                    f'{margin.numel()} channels, but teacher_channels[{stage}]='
                    f'{channels}; tap the BN that precedes the ReLU of that stage.')
            margins.append(margin)
        return margins
