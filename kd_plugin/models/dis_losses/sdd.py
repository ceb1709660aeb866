import inspect
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .dkd import DKDLoss
from .nkd import NKDLoss
from .utils import hard_labels, reduce_per_sample, upcast, warmup_factor


def spp_region_logits(feature_map: Tensor,
                      weight: Tensor,
                      bias: Optional[Tensor] = None,
                      levels: Sequence[int] = (1, 2, 4),
                      grid: int = 4) -> Tensor:
    """Logits of the spatial-pyramid regions of a feature map, for SDD.

    Reproduces SDD's ``SPP`` module and ``*_SDD`` model heads
    (shicaiwei123/SDD-CVPR2024 ``mdistiller/models/cifar/utils.py::SPP``): the map is
    adaptively average-pooled to a ``grid x grid`` map (4 x 4), every level ``l`` is
    then pooled **from that grid** to ``l x l`` (not from the full map), the cells are
    flattened row-major and concatenated coarse to fine, and each cell's pooled vector
    goes through the model's own linear classifier.

    Region 0 (level 1) equals the model's global logits when ``H`` and ``W`` are
    multiples of ``grid`` (CIFAR's 8 x 8 maps). Otherwise (e.g. 7 x 7 ImageNet maps)
    the adaptive 4 x 4 cells overlap and region 0 is the classifier applied to the mean
    of the 16 cells, exactly as in the original.

    It works for any model whose head is a single linear layer on the globally pooled
    final feature map (torchvision / mmpretrain ResNets, MobileNets, the CIFAR zoo):
    pass that layer's ``weight`` and ``bias``. Gradients reach the feature map and the
    classifier (the student's classifier is trained through the region logits, as in
    the original); call it under ``torch.no_grad()`` for the teacher.

    Args:
        feature_map: (B, D, H, W) final feature map, the input of global pooling.
        weight: (C, D) classifier weight.
        bias: (C,) classifier bias, or None.
        levels: Pyramid levels, coarse to fine; SDD's ``M``: ``(1, 2, 4)`` (N = 21
            regions) or ``(1, 2)`` (N = 5).
        grid: Side of the intermediate grid every level is pooled from (4 in SDD,
            also for ``M=[1,2]``); each level must divide it.

    Returns:
        (B, C, N) region logits, ``N = sum(l * l for l in levels)``, in the order of
        the ``region_logits_s`` / ``region_logits_t`` inputs of :class:`SDDKDLoss`.
    """
    if any(grid % level for level in levels):
        raise ValueError(f'every level must divide grid={grid}, got levels={levels}')
    cells = F.adaptive_avg_pool2d(feature_map, grid)
    pooled = torch.cat(
        [F.adaptive_avg_pool2d(cells, level).flatten(2) for level in levels], dim=2)
    return F.linear(pooled.transpose(1, 2), weight, bias).transpose(1, 2)


@MODELS.register_module()
class SDDKDLoss(nn.Module):
    """Scale Decoupled Distillation with the KD loss (SD-KD).

    Wei, Luo, Luo. "Scale Decoupled Distillation", CVPR 2024; code:
    shicaiwei123/SDD-CVPR2024 ``mdistiller/distillers/KD.py::sdd_kd_loss``.

    The logits of ``N`` spatial-pyramid regions (region 0 = the global logits, see
    :func:`spp_region_logits`) are each distilled with KD; a local region whose teacher
    prediction disagrees in correctness with the teacher's global prediction (global
    right / local wrong or global wrong / local right) is a *complementary* region and
    weighted ``beta`` (2), the others (*consistent*, and every global region) weigh 1:

    .. math::
        L = \\frac{w}{N B} \\sum_{r=1}^{N} \\sum_{i=1}^{B} \\omega_{ri} \\, T^2
            \\mathrm{KL}\\big(\\mathrm{softmax}(z^t_{ri}/T) \\,\\|\\,
            \\mathrm{softmax}(z^s_{ri}/T)\\big), \\quad
        \\omega_{ri} = \\begin{cases} \\beta & [\\hat y^t_{ri} = y_i] \\ne
            [\\hat y^t_{1i} = y_i] \\\\ 1 & \\text{otherwise} \\end{cases}

    with ``\\hat y^t_{ri}`` the teacher's argmax on region ``r``. No warm-up. With
    ``N = 1`` it is plain KD. This is the reference's value; it also zeroes NaN
    entries of the element-wise KL and returns 0 when the total is not finite, which is
    kept here without host synchronisation (``torch.where``).

    ``target`` may be (B,) labels or (B, C) soft scores (Mixup/CutMix); soft scores are
    reduced to their argmax class, which decides the teacher's "correct" flags.

    Args:
        temperature: Temperature ``T`` (4 on CIFAR-100, 1 on ImageNet).
        complementary_weight: Weight ``beta`` of the complementary regions (2, fixed in
            the reference code).
        loss_weight: Weight ``w`` (the reference's ``KD_WEIGHT``: 0.9 with the
            student's cross-entropy at 0.1 on CIFAR-100).
        reduction: ``'mean'`` over the batch, ``'sum'``, or ``'none'`` for the (B,)
            per-sample values ``(1/N) sum_r omega_ri l_ri``.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 complementary_weight: float = 2.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.temperature = temperature
        self.complementary_weight = complementary_weight
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, region_logits_s: Tensor, region_logits_t: Tensor,
                target: Tensor) -> Tensor:
        """Return the weighted SD-KD term (a scalar unless ``reduction='none'``)."""
        temperature = self.temperature
        logits_s, logits_t = upcast(region_logits_s), upcast(region_logits_t)
        log_p_s = F.log_softmax(logits_s / temperature, dim=1)
        log_p_t = F.log_softmax(logits_t / temperature, dim=1)
        kl = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True)
        kl = torch.where(torch.isnan(kl), torch.zeros_like(kl), kl)
        per_region = kl.sum(dim=1) * temperature**2  # (B, N)
        per_sample = weighted_region_mean(per_region, logits_t, target,
                                          self.complementary_weight)
        loss = self.loss_weight * reduce_per_sample(per_sample, self.reduction)
        return torch.where(torch.isfinite(loss), loss, torch.zeros_like(loss))


def region_rows(region_logits: Tensor) -> Tensor:
    """(B, C, N) region logits -> (B * N, C) rows, sample-major (row ``i * N + r``)."""
    return region_logits.transpose(1, 2).reshape(-1, region_logits.shape[1])


def weighted_region_mean(per_region: Tensor, region_logits_t: Tensor, target: Tensor,
                         complementary_weight: float) -> Tensor:
    """SDD's (B,) per-sample value ``(1/N) sum_r omega_ri l_ri`` of (B, N) region terms:
    ``omega`` is ``complementary_weight`` where the teacher's correctness on a region
    differs from its correctness on the global region (region 0), 1 elsewhere (and
    always on region 0)."""
    correct = region_logits_t.argmax(dim=1) == hard_labels(target)[:, None]  # (B, N)
    weights = torch.where(correct != correct[:, :1],
                          per_region.new_tensor(complementary_weight),
                          per_region.new_tensor(1.0))
    return (weights * per_region).mean(dim=1)


def region_labels(target: Tensor, num_regions: int) -> Tensor:
    """(B * N,) labels of the rows of :func:`region_rows`."""
    return hard_labels(target).repeat_interleave(num_regions)


@MODELS.register_module()
class SDDDKDLoss(nn.Module):
    """Scale Decoupled Distillation with the DKD loss (SD-DKD).

    shicaiwei123/SDD-CVPR2024 ``mdistiller/distillers/SDD_DKD.py::multi_dkd``. Every
    row (region ``r``, sample ``i``) of the (B, C, N) region logits gets DKD's
    per-sample term ``l_ri = alpha TCKD_ri + beta NCKD_ri`` (``T^2`` included, the
    math of :class:`DKDLoss`), weighted as :class:`SDDKDLoss` weights its rows:

    .. math::
        L = w \\, \\min\\big(\\tfrac{e + 1}{W}, 1\\big) \\frac{1}{N B}
            \\sum_{r, i} \\omega_{ri} \\, l_{ri}

    (``e`` 0-based, the reference's ``min(epoch / W, 1)`` counts from 1). With one
    region (``levels=(1,)``) it is :class:`DKDLoss`.

    Args:
        alpha, beta, temperature, warmup_epochs: as :class:`DKDLoss` (per pair:
            megvii-research/mdistiller@a08d46f: ``configs/cifar100/dkd/*.yaml``, which
            SDD's configs copy).
        complementary_weight: Weight of the complementary regions (2).
        loss_weight: ``w``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) values
            ``(1/N) sum_r omega_ri l_ri``, times ``w`` and the warm-up factor).
    """

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 temperature: float = 4.0,
                 warmup_epochs: int = 20,
                 complementary_weight: float = 2.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmup_epochs = warmup_epochs
        self.complementary_weight = complementary_weight
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.dkd = DKDLoss(alpha, beta, temperature, warmup_epochs=0)

    def forward(self, region_logits_s: Tensor, region_logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted, warmed-up SD-DKD term."""
        batch, _, regions = region_logits_s.shape
        tckd, nckd, _ = self.dkd.decoupled_terms(
            region_rows(region_logits_s), region_rows(region_logits_t),
            region_labels(target, regions))
        per_region = (self.alpha * tckd + self.beta * nckd).view(batch, regions)
        per_sample = weighted_region_mean(per_region, region_logits_t, target,
                                          self.complementary_weight)
        scale = self.loss_weight * warmup_factor(epoch, self.warmup_epochs)
        return scale * reduce_per_sample(per_sample, self.reduction)


@MODELS.register_module()
class SDDNKDLoss(nn.Module):
    """Scale Decoupled Distillation with the NKD loss (SD-NKD).

    shicaiwei123/SDD-CVPR2024 ``mdistiller/distillers/SDD_nkd.py::multi_nkd_loss``.
    Every row (region ``r``, sample ``i``) gets NKD's per-sample term ``l_ri`` (target
    part at temperature 1, non-target part ``gamma T^2`` cross-entropy), weighted and
    warmed up as :class:`SDDDKDLoss`. The reference takes ``T`` = ``CFG.DKD.T`` (4),
    ``gamma`` = ``CFG.DKD.BETA`` (the pair's DKD beta) and warm-up ``CFG.DKD.WARMUP``
    (20).

    ``match_reference=True`` reproduces the reference's all-ones mask (cls_KD's NKD
    between July and October 2023, still in SDD): the "non-target" part is the
    cross-entropy of the full ``softmax(z/T)`` distributions, label class included.
    ``False`` uses the fixed non-target mask, i.e. :class:`NKDLoss`'s term (with one
    region and no warm-up it is :class:`NKDLoss`).

    Args:
        temperature: ``T`` of the non-target part (4).
        gamma: Weight of the non-target part (the pair's DKD beta).
        warmup_epochs: ``W`` (20); 0 disables it.
        match_reference: Keep the all-ones mask (default, the reference's numbers).
        complementary_weight: Weight of the complementary regions (2).
        loss_weight: ``w``.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 gamma: float = 8.0,
                 warmup_epochs: int = 20,
                 match_reference: bool = True,
                 complementary_weight: float = 2.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        self.temperature = temperature
        self.gamma = gamma
        self.warmup_epochs = warmup_epochs
        self.match_reference = match_reference
        self.complementary_weight = complementary_weight
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.nkd = NKDLoss(temperature, gamma, reduction='none')

    def row_terms(self, logits_s: Tensor, logits_t: Tensor, labels: Tensor) -> Tensor:
        """(R,) NKD terms of (R, C) rows with (R,) labels."""
        if not self.match_reference:
            return self.nkd(logits_s=logits_s, logits_t=logits_t, target=labels)
        logits_s, logits_t = upcast(logits_s), upcast(logits_t)
        temperature = self.temperature
        index = labels[:, None]
        log_p_s = F.log_softmax(logits_s, dim=1).gather(1, index).squeeze(1)
        p_t = F.softmax(logits_t.detach(), dim=1).gather(1, index).squeeze(1)
        target_part = -p_t * log_p_s
        log_q_s = F.log_softmax(logits_s / temperature, dim=1)
        q_t = F.softmax(logits_t / temperature, dim=1)
        all_class_part = -(q_t * log_q_s).sum(1) * self.gamma * temperature**2
        return target_part + all_class_part

    def forward(self, region_logits_s: Tensor, region_logits_t: Tensor, target: Tensor,
                epoch: int) -> Tensor:
        """Return the weighted, warmed-up SD-NKD term."""
        batch, _, regions = region_logits_s.shape
        per_region = self.row_terms(
            region_rows(region_logits_s), region_rows(region_logits_t),
            region_labels(target, regions)).view(batch, regions)
        per_sample = weighted_region_mean(per_region, region_logits_t, target,
                                          self.complementary_weight)
        scale = self.loss_weight * warmup_factor(epoch, self.warmup_epochs)
        return scale * reduce_per_sample(per_sample, self.reduction)


@MODELS.register_module()
class SDDLoss(nn.Module):
    """SDD on a distiller's own models: region logits, then a region loss.

    The region logits of both models are computed as SDD's ``*_SDD`` models do
    (:func:`spp_region_logits`): the feature map the head's global pooling reads
    (``feature_map_*``, by default the input of the classifier's neck) is pooled over
    the spatial pyramid ``levels`` and every region goes through that model's own
    linear classifier (``classifier_*``). So any classifier with a pooling neck and a
    linear head works; others declare the map, e.g.
    ``student_taps=dict(feature_map='model.norm')``. The teacher's regions carry no
    gradient.

    The region loss is SD-KD (:class:`SDDKDLoss`) by default, built from
    ``temperature``, ``complementary_weight`` and ``loss_weight``; ``region_loss``
    names another one on (B, C, N) region logits instead, e.g.
    ``region_loss=dict(type='SDDDKDLoss', beta=8.0)`` (SD-DKD) or
    ``dict(type='SDDNKDLoss', gamma=8.0)`` (SD-NKD). ``epoch`` is passed on when the
    region loss's ``forward`` takes it (warm-up).

    Args:
        levels: Pyramid levels ``M``: ``(1, 2)`` for ResNet32x4->ResNet8x4 and
            VGG13->VGG8, ``(1, 2, 4)`` for the heterogeneous CIFAR-100 pairs (SDD's
            scripts).
        temperature, complementary_weight, loss_weight: as :class:`SDDKDLoss` (4, 2,
            1 when left out); only without ``region_loss``.
        region_loss: Config of the region loss; its settings go in it.
    """

    def __init__(self,
                 levels: Sequence[int] = (1, 2, 4),
                 temperature: Optional[float] = None,
                 complementary_weight: Optional[float] = None,
                 loss_weight: Optional[float] = None,
                 region_loss: Optional[dict] = None) -> None:
        super().__init__()
        self.levels = tuple(levels)
        sdkd_settings = dict(
            temperature=temperature,
            complementary_weight=complementary_weight,
            loss_weight=loss_weight)
        given = {k: v for k, v in sdkd_settings.items() if v is not None}
        if region_loss is None:
            region_loss = dict(type='SDDKDLoss', **given)
        elif given:
            raise ValueError(
                f'SDDLoss: {sorted(given)} given together with region_loss; put them '
                'in the region_loss config.')
        self.region_loss = MODELS.build(region_loss)
        self.region_loss_takes_epoch = 'epoch' in inspect.signature(
            self.region_loss.forward).parameters

    def forward(self,
                feature_map_s: Union[Tensor, Sequence[Tensor]],
                feature_map_t: Union[Tensor, Sequence[Tensor]],
                classifier_s: nn.Linear,
                classifier_t: nn.Linear,
                target: Tensor,
                epoch: int = 0) -> Tensor:
        """Return the weighted SDD term (``epoch`` is used by warmed-up region
        losses only)."""
        map_s, map_t = (
            m if isinstance(m, Tensor) else m[-1] for m in (feature_map_s, feature_map_t))
        region_logits_s = spp_region_logits(map_s, classifier_s.weight, classifier_s.bias,
                                            self.levels)
        with torch.no_grad():
            region_logits_t = spp_region_logits(map_t, classifier_t.weight,
                                                classifier_t.bias, self.levels)
        inputs = dict(
            region_logits_s=region_logits_s,
            region_logits_t=region_logits_t,
            target=target)
        if self.region_loss_takes_epoch:
            inputs['epoch'] = epoch
        return self.region_loss(**inputs)
