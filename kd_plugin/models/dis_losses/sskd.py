from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, check_pooled_pair, temperature_scaled_kl, upcast

PHASES = ('student', 'teacher_head')


def projection_head(channels: int) -> nn.Sequential:
    """SSKD's self-supervision head: Linear(D, D), ReLU, Linear(D, D) on the pooled
    vector (``wrapper.proj_head`` of ``xuguodong03/SSKD@661b972:wrapper.py``)."""
    return nn.Sequential(
        nn.Linear(channels, channels), nn.ReLU(), nn.Linear(channels, channels))


def cosine_matrix(transformed: Tensor, originals: Tensor) -> Tensor:
    """(N', N) cosine similarities of each transformed view's vector with each
    original image's vector."""
    with autocast_off(transformed):
        return F.normalize(
            transformed, dim=1, eps=1e-8) @ F.normalize(
                originals, dim=1, eps=1e-8).t()


def rank_of(scores: Tensor, index: Tensor) -> Tensor:
    """(N,) rank of entry ``index`` in each row of ``scores`` (0: the largest): how
    many entries of the row are larger."""
    return (scores > scores.gather(1, index[:, None])).sum(1)


def kept_rows(rank: Tensor, keep_ratio: float) -> Tensor:
    """(N,) bool mask of the rows SSKD distils: every row whose true entry ranks
    first, plus the ``int(keep_ratio * wrong)`` of the ``wrong`` others with the best
    ranks (ties in row order). Computed on the device, without host sync: the count is
    a tensor (``int()`` of the float64 product, as in Python) and a row is kept when
    its place in the stable sort by rank is below it."""
    wrong = (rank > 0).sum()
    count = rank.numel() - wrong + (wrong.double() * keep_ratio).trunc().long()
    order = torch.sort(rank, stable=True).indices
    place = torch.arange(rank.numel(), device=rank.device)
    return torch.zeros_like(rank, dtype=torch.bool).scatter(0, order, place < count)


def masked_mean_kl(logits_s: Tensor, logits_t: Tensor, temperature: float,
                   kept: Tensor) -> Tensor:
    """``T^2 KL(softmax(z_t / T) || softmax(z_s / T))`` averaged over the rows where
    ``kept`` is true (0 for no row), as a masked sum over the count: no host sync."""
    kl = temperature_scaled_kl(logits_s, logits_t, temperature)
    total = torch.where(kept, kl, torch.zeros_like(kl)).sum()
    return total / kept.sum().clamp(min=1)


@MODELS.register_module()
class SSKDLoss(nn.Module):
    """Self-supervised knowledge distillation.

    Xu, Liu, Li, Loy. "Knowledge Distillation Meets Self-Supervision", ECCV 2020
    (arXiv 2006.07114); code ``xuguodong03/SSKD@661b972`` (``student.py``,
    ``wrapper.py``, ``cifar.py``).

    Each image comes with its rotations by 90, 180 and 270 degrees, all in one batch
    (``Rot90`` views and :class:`ViewsAsSamplesDataPreprocessor`; ``view_idx`` 0 is
    the upright image). Both models have a self-supervision head ``h`` (two linear
    layers on the pooled vector); for each rotated view ``a`` and each upright image
    ``o`` of the batch the heads give the cosine similarity ``s(a, o)``, a ``(3B, B)``
    matrix whose correct entry is ``a``'s own image.

    Phase ``'teacher_head'`` (the first stage: the teacher is frozen, its head trains
    alone, the student does not train): ``L = CE(s_t, own image)``.

    Phase ``'student'``: with the teacher's head frozen,

    .. math::
        L = \\lambda_{ce} CE(z^s_o, y) + \\lambda_{kd} T^2 KL(z^t_o \\| z^s_o)_{T}
            + \\lambda_{tf} T_{tf}^2 KL(z^t_a \\| z^s_a)_{T_{tf}}\\big|_{A_{tf}}
            + \\lambda_{ss} T_{ss}^2 KL(s_t \\| s_s)_{T_{ss}}\\big|_{A_{ss}}

    with ``z_o`` the logits of the upright images, ``z_a`` those of the rotated
    views, each KL averaged over its rows (``batchmean``). Rows are distilled only
    where the teacher is right or nearly so: ``A_tf`` keeps every rotated view whose
    label the teacher ranks first plus the ``int(r_tf * wrong)`` others with the best
    rank of the label, ``A_ss`` likewise by the rank of the own image in the
    teacher's similarities (:func:`kept_rows`). The student's cross-entropy on the
    upright images is part of this term: set the distiller's
    ``student_loss_weight=0`` (its head would also count the rotated copies).

    Defaults are the original's: ``lambda = (0.1, 0.9, 2.7, 10)``, ``T = 4``,
    ``T_tf = 4``, ``T_ss = 0.5``, ``r_tf = 1``, ``r_ss = 0.75``; the teacher's head
    trains 60 epochs before the student (SGD lr 0.05, x0.1 at epochs 30 and 45).
    Differences: ties in a rank count in favour of the true entry and ties in the
    selection go by row order (the original's ``argsort`` breaks them arbitrarily);
    the cosine's norms are clamped at 1e-8 each.

    Args:
        student_channels: Width of the student's pooled vector.
        teacher_channels: Width of the teacher's pooled vector.
        ce_weight / kd_weight / tf_weight / ss_weight: ``lambda_ce``, ``lambda_kd``,
            ``lambda_tf``, ``lambda_ss``.
        kd_temperature / tf_temperature / ss_temperature: ``T``, ``T_tf``, ``T_ss``.
        tf_keep_ratio / ss_keep_ratio: ``r_tf``, ``r_ss``.
        phase: ``'student'`` or ``'teacher_head'``, set per training stage.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 ce_weight: float = 0.1,
                 kd_weight: float = 0.9,
                 tf_weight: float = 2.7,
                 ss_weight: float = 10.0,
                 kd_temperature: float = 4.0,
                 tf_temperature: float = 4.0,
                 ss_temperature: float = 0.5,
                 tf_keep_ratio: float = 1.0,
                 ss_keep_ratio: float = 0.75,
                 phase: str = 'student') -> None:
        super().__init__()
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.ce_weight = ce_weight
        self.kd_weight = kd_weight
        self.tf_weight = tf_weight
        self.ss_weight = ss_weight
        self.kd_temperature = kd_temperature
        self.tf_temperature = tf_temperature
        self.ss_temperature = ss_temperature
        self.tf_keep_ratio = tf_keep_ratio
        self.ss_keep_ratio = ss_keep_ratio
        self.phase = phase
        self.student_head = projection_head(student_channels)
        self.teacher_head = projection_head(teacher_channels)
        self._check_phase()

    def forward(self, logits_s: Tensor, logits_t: Tensor, pooled_s: Tensor,
                pooled_t: Tensor, target: Tensor, view_idx: Tensor) -> Tensor:
        """Return the phase's weighted SSKD term."""
        self._check_phase()
        self.check_shapes(pooled_s, pooled_t)
        up, rot, source = self._layout(view_idx, target)
        pooled_t = upcast(pooled_t).detach()
        if self.phase == 'teacher_head':
            rep_t = self.teacher_head(pooled_t)
            similarity = cosine_matrix(
                rep_t.index_select(0, rot), rep_t.index_select(0, up))
            return F.cross_entropy(similarity, source)

        logits_s, logits_t = upcast(logits_s), upcast(logits_t).detach()
        with torch.no_grad():
            rep_t = self.teacher_head(pooled_t)
            similarity_t = cosine_matrix(
                rep_t.index_select(0, rot), rep_t.index_select(0, up))
        rep_s = self.student_head(upcast(pooled_s))
        similarity_s = cosine_matrix(
            rep_s.index_select(0, rot), rep_s.index_select(0, up))

        logits_os, logits_ot = logits_s.index_select(0, up), logits_t.index_select(0, up)
        ce = F.cross_entropy(logits_os, target.index_select(0, up))
        kd = temperature_scaled_kl(logits_os, logits_ot, self.kd_temperature).mean()
        logits_rs = logits_s.index_select(0, rot)
        logits_rt = logits_t.index_select(0, rot)
        keep_tf = kept_rows(
            rank_of(logits_rt, target.index_select(0, rot)), self.tf_keep_ratio)
        tf = masked_mean_kl(logits_rs, logits_rt, self.tf_temperature, keep_tf)
        keep_ss = kept_rows(rank_of(similarity_t, source), self.ss_keep_ratio)
        ss = masked_mean_kl(similarity_s, similarity_t, self.ss_temperature, keep_ss)
        return (self.ce_weight * ce + self.kd_weight * kd + self.tf_weight * tf +
                self.ss_weight * ss)

    def check_shapes(self, pooled_s: Tensor, pooled_t: Tensor) -> None:
        """Raise a ValueError unless the pooled vectors fit the heads."""
        check_pooled_pair('SSKDLoss', pooled_s, pooled_t, min_batch=1)
        widths = (pooled_s.shape[1], pooled_t.shape[1])
        if widths != (self.student_channels, self.teacher_channels):
            raise ValueError(
                f'SSKDLoss: the pooled vectors are {widths[0]} (student) and '
                f'{widths[1]} (teacher) wide, but the heads were built for '
                f'student_channels={self.student_channels} and teacher_channels='
                f'{self.teacher_channels}; set student_channels={widths[0]} and '
                f'teacher_channels={widths[1]}.')

    @staticmethod
    def _layout(view_idx: Tensor, target: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """(indices of the upright rows, indices of the rotated rows, index of each
        rotated row's upright image among the upright rows), each in row order.

        One host sync (the number of upright rows, which sizes the index tensors, and
        the layout check): integer indices instead of boolean masks, whose every use
        is a hidden sync.
        """
        if target.dim() != 1:
            raise ValueError('SSKDLoss: needs hard labels (B,), got soft scores '
                             f'{tuple(target.shape)}; remove Mixup/CutMix.')
        upright = view_idx == 0
        first, num_upright = torch.stack((upright[0].long(), upright.sum())).tolist()
        if not first or num_upright == upright.numel():
            raise ValueError(
                'SSKDLoss: the batch must hold each image followed by its transformed '
                "views (view_idx 0, 1, ...): use data_preprocessor=dict(type="
                "'ViewsAsSamplesDataPreprocessor') with a MultiView pipeline of Rot90 "
                'views.')
        # A stable sort by "rotated" lists the upright rows, then the rotated ones.
        order = torch.sort((~upright).to(torch.uint8), stable=True).indices
        up, rot = order[:num_upright], order[num_upright:]
        source = torch.cumsum(upright.long(), 0) - 1
        return up, rot, source.index_select(0, rot)

    def _check_phase(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f'SSKDLoss: phase={self.phase!r}; expected one of {PHASES}.')
