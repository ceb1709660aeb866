from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import Paraphraser, Translator
from .utils import aligned_stage_pairs, check_connector_pair, upcast

PHASES = ('transfer', 'paraphraser')


def spatial_factor(factor: Tensor, power: int = 2) -> Tensor:
    """RepDistiller's factor vector: ``normalize(mean_c factor^power)``, (B, H W)."""
    return F.normalize(factor.pow(power).mean(1).flatten(1))


@MODELS.register_module()
class FTLoss(nn.Module):
    """Factor transfer.

    Kim, Park, Kwak. "Paraphrasing Complex Network: Network Compression via Factor
    Transfer", NeurIPS 2018 (arXiv 1802.04977).

    A paraphraser ``P`` (:class:`Paraphraser`, an autoencoder) is first trained to
    reconstruct the teacher's last stage map ``F^t`` (phase ``'paraphraser'``):

    .. math::
        L_{rec} = \\frac{1}{B C H W} \\big\\| P(F^t) - F^t \\big\\|_2^2

    Then the student's map ``F^s`` goes through a translator ``Q``
    (:class:`Translator`) and its factor follows the frozen paraphraser's code of the
    teacher map, ``P_enc(F^t)`` (phase ``'transfer'``). In
    ``HobbitLong/RepDistiller@b84f547:distiller_zoo/FT.py`` (``FactorTransfer``,
    ``p1=2, p2=1``), the code behind the cited numbers, a factor ``Z`` (B, C', H, W)
    enters as the normalised spatial map ``v(Z) = normalize(mean_c Z^2)``:

    .. math::
        L_{FT} = w \\frac{1}{B H W} \\big\\| v(Q(F^s)) - v(P_{enc}(F^t)) \\big\\|_1

    The paper normalises the whole vectorised factor instead and takes the L1
    distance, ``w (1/B) sum_b || vec(Z^s)/||vec(Z^s)||_2 - vec(Z^t)/||vec(Z^t)||_2 ||_1``
    (its Eq. 3 with ``p = 1``): ``match_reference=False``. Factors of different sizes
    are average-pooled to the smaller one first (both variants; RepDistiller pools
    them the same way).

    How it trains (RepDistiller's ``--distill factor``): for 30 epochs the paraphraser
    alone trains on ``L_rec`` (weight 1) with its own SGD while the student is in
    ``eval()`` and does not train (``helper/pretrain.py``); then the student and the
    translator train on ``CE + w L_FT`` with ``w = 200`` while the paraphraser is
    frozen (``helper/loops.py``). The FT configs set ``phase='paraphraser'`` for the
    first stage with :class:`~kd_plugin.engine.stages.TrainingStageHook`; in the
    transfer phase the paraphraser runs under ``no_grad`` (it has no BatchNorm, so its
    mode does not matter).

    Args:
        student_channels: Channels of the student's map (``feats_s[stage]``).
        teacher_channels: Channels of the teacher's map (``feats_t[stage]``).
        rate: Paraphrase rate ``k`` (factor channels ``int(k C_t)``; 0.5).
        stage: Index of the map in ``feats_s`` and ``feats_t`` (-1: the last tapped).
        phase: ``'transfer'`` (``w L_FT``) or ``'paraphraser'`` (``L_rec``), set per
            training stage.
        match_reference: RepDistiller's spatial factor (True) or the paper's
            vectorised factor (False).
        loss_weight: Weight ``w`` of ``L_FT`` (RepDistiller's ``-b 200``).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 rate: float = 0.5,
                 stage: int = -1,
                 phase: str = 'transfer',
                 match_reference: bool = True,
                 loss_weight: float = 200.0) -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.stage = stage
        self.phase = phase
        self.match_reference = match_reference
        self.loss_weight = loss_weight
        self.paraphraser = Paraphraser(teacher_channels, rate)
        self.translator = Translator(student_channels, teacher_channels, rate)
        self._check_phase()

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return ``L_rec`` (phase ``'paraphraser'``) or ``w L_FT``."""
        self._check_phase()
        feat_s, feat_t = self._pair(feats_s, feats_t)
        feat_t = upcast(feat_t).detach()
        if self.phase == 'paraphraser':
            _, reconstruction = self.paraphraser(feat_t)
            return F.mse_loss(reconstruction, feat_t)
        with torch.no_grad():
            factor_t = self.paraphraser.encoder(feat_t)
        factor_s = upcast(self.translator(feat_s))
        [(factor_s, factor_t)] = aligned_stage_pairs('FTLoss', [factor_s], [factor_t])
        if self.match_reference:
            distance = (spatial_factor(factor_s) - spatial_factor(factor_t)).abs().mean()
        else:
            vec_s = F.normalize(factor_s.flatten(1))
            vec_t = F.normalize(factor_t.flatten(1))
            distance = (vec_s - vec_t).abs().sum(1).mean()
        return self.loss_weight * distance

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the maps fit the translator and paraphraser, and
        the factors' sizes pool to each other (shape probe)."""
        feat_s, feat_t = self._pair(feats_s, feats_t)
        aligned_stage_pairs('FTLoss', [self.translator(feat_s)],
                            [self.paraphraser.encoder(feat_t)])

    def _pair(self, feats_s: Sequence[Tensor],
              feats_t: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        for role, feats in (('student', feats_s), ('teacher', feats_t)):
            if isinstance(feats, Tensor) or not -len(feats) <= self.stage < len(feats):
                raise ValueError(
                    f'FTLoss: stage={self.stage}, but the {role} gives '
                    f'{"one tensor" if isinstance(feats, Tensor) else len(feats)} '
                    'stage maps; set stage or the feats taps.')
        feat_s, feat_t = feats_s[self.stage], feats_t[self.stage]
        check_connector_pair('FTLoss', f'stage {self.stage}', 'translator/paraphraser',
                             feat_s, feat_t, self.student_channels, self.teacher_channels)
        return feat_s, feat_t

    def _check_phase(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f'FTLoss: phase={self.phase!r}; expected one of {PHASES}.')
