"""Small numerical helpers shared by the distillation losses."""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

LOW_PRECISION = (torch.float16, torch.bfloat16)


def upcast(tensor: Tensor) -> Tensor:
    """Return ``tensor`` in float32 if it is fp16/bf16 (AMP), unchanged otherwise.

    Losses take logs and exponentials of logits; under autocast those come in half
    precision, where ``log(sum(p))`` of small probabilities underflows. float64 inputs
    (the reference tests) stay float64.
    """
    return tensor.float() if tensor.dtype in LOW_PRECISION else tensor


# Up to this temperature the plain form in float32 is within 3e-5 of float64 per sample
# (measured for logits of std 1 to 10 over 100 classes; 2e-3 at T = 64), the original
# code's own precision; above it the cancellation-free float64 form is used.
PLAIN_FORM_MAX_TEMPERATURE = 8.0


def temperature_scaled_kl(logits_s: Tensor, logits_t: Tensor,
                          temperature: float) -> Tensor:
    """Per-sample ``T^2 KL(softmax(z_t / T) || softmax(z_s / T))``, shape (B,), accurate
    at any temperature.

    Up to ``T = PLAIN_FORM_MAX_TEMPERATURE`` this is the plain form
    ``T^2 * sum(p_t * (log p_t - log p_s))`` in the logits' precision (float32 for
    fp16/bf16), as the original code computes it. At larger ``T`` that form subtracts
    two log-probabilities near ``-log C`` whose difference is ``O(z / T)``, and ``T^2``
    multiplies the rounding error (at ``T = 1e4`` float32 is already wrong in the first
    digit; at ``T = 1e6`` the result is off by 1e4). There the difference is formed
    without the cancellation, in float64: with ``d = (z_t - z_s) / T`` centred under
    ``p_s`` (``u = d - E_s[d]``), ``log p_t - log p_s = u - l`` where
    ``l = log E_s[exp(u)] = log1p(E_s[expm1(u) - u])``, and
    ``KL = E_s[expm1(u - l) u] - l`` (using ``p_t = p_s exp(u - l)`` and
    ``E_s[u] = 0``). Samples with a gap ``max u >= 50`` (where ``exp(u)`` could
    overflow; the plain form is exact enough there) use the plain form. As
    ``T -> inf`` the value tends to ``(1 / 2C) sum_c (g_c - mean_c g)^2`` with
    ``g = z_t - z_s`` (Hinton et al., 2015, section 2.1: distillation becomes logit
    matching). The result has the dtype of ``upcast(logits_s)``. A tensor
    ``temperature`` (learnt) takes the float64 form: choosing would need its value on
    the host.
    """
    if not isinstance(temperature, Tensor) and temperature <= PLAIN_FORM_MAX_TEMPERATURE:
        log_p_s = F.log_softmax(upcast(logits_s) / temperature, dim=1)
        log_p_t = F.log_softmax(upcast(logits_t) / temperature, dim=1)
        kl = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
        return kl * temperature**2
    dtype = upcast(logits_s).dtype
    z_s, z_t = logits_s.double(), logits_t.double()
    log_p_s = F.log_softmax(z_s / temperature, dim=1)
    p_s = log_p_s.exp()
    gap = (z_t - z_s) / temperature
    u = gap - (p_s * gap).sum(1, keepdim=True)
    near = u.amax(1, keepdim=True) < 50
    u_near = torch.where(near, u, torch.zeros_like(u))
    log_ratio = torch.log1p((p_s * (torch.expm1(u_near) - u_near)).sum(1, keepdim=True))
    kl_near = (p_s * torch.expm1(u_near - log_ratio) * u_near).sum(1) - log_ratio[:, 0]
    log_p_t = F.log_softmax(z_t / temperature, dim=1)
    kl_plain = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
    kl = torch.where(near[:, 0], kl_near, kl_plain)
    return (kl * temperature**2).to(dtype)


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


def hard_labels(target: Tensor) -> Tensor:
    """Return (B,) int64 class labels for a ``target`` of the loss vocabulary.

    Labels pass through; (B, C) soft scores (Mixup/CutMix) are reduced to their argmax,
    as cls_KD's NKD does.
    """
    return target.argmax(dim=1) if target.dim() == 2 else target


def standardize_logits(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Return ``(z - mean_c z) / (std_c z + eps)`` per sample (logit standardisation).

    Sun et al. "Logit Standardization in Knowledge Distillation", CVPR 2024. As in the
    reference code the std is the unbiased (C - 1) estimator and ``eps`` is
    added to the std, not inside the square root. The result is float32 for AMP inputs.
    """
    logits = upcast(logits)
    mean = logits.mean(dim=1, keepdim=True)
    std = logits.std(dim=1, keepdim=True)
    return (logits - mean) / (std + eps)


def teacher_entropy(logits_t: Tensor, temperature: float) -> Tensor:
    """Return the entropy-reweighting weights (B,) of the teacher's predictions.

    ``H_i = -sum_c q_c log max(q_c, 1e-10)`` with ``q = softmax(z_t / temperature)``
    (natural log, not normalised), detached: the sample weights of entropy-reweighted
    KD (Su et al., ER-KD, arXiv 2311.13621 v1). The clamp at 1e-10 is the reference's;
    it only touches classes whose probability is below 1e-10.
    """
    log_q = F.log_softmax(upcast(logits_t).detach() / temperature, dim=1)
    return -(log_q.exp() * log_q.clamp(min=math.log(1e-10))).sum(dim=1)


def decoupled_log_probs(logits: Tensor, gt_mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Split ``softmax(logits)`` around the label class, in log space (DKD's notation).

    Args:
        logits: (B, C) logits, already divided by the temperature.
        gt_mask: (B, C) bool, True at each sample's label class.

    Returns:
        ``log_b`` (B, 2): ``log [p_y, sum_{c != y} p_c]``, the binary target /
        non-target distribution, computed with logsumexp (no ``log`` of a sum of
        probabilities, so it cannot underflow to ``log 0``); and ``log_q`` (B, C): the
        log-softmax over the non-target classes. The label entry of ``log_q`` is a 0
        placeholder (its probability is 0): callers mask it with ``gt_mask``.
    """
    lse_all = logits.logsumexp(dim=1, keepdim=True)
    lse_other = logits.masked_fill(gt_mask, float('-inf')).logsumexp(dim=1, keepdim=True)
    log_p_target = (logits * gt_mask).sum(dim=1, keepdim=True) - lse_all
    log_b = torch.cat([log_p_target, lse_other - lse_all], dim=1)
    log_q = (logits - lse_other).masked_fill(gt_mask, 0.0)
    return log_b, log_q


def autocast_off(tensor: Tensor) -> torch.autocast:
    """Context that turns autocast off on ``tensor``'s device.

    Under AMP, autocast runs matmuls in half precision even on float32 operands. The
    Gram and similarity matrices of feature losses sum thousands of products, which
    overflows fp16 and blurs the small differences the losses measure; inside this
    context they run in the dtype of their (``upcast``) operands.
    """
    return torch.autocast(device_type=tensor.device.type, enabled=False)


def aligned_stage_pairs(loss_name: str, feats_s: Sequence[Tensor],
                        feats_t: Sequence[Tensor]) -> List[Tuple[Tensor, Tensor]]:
    """Pair the student's and teacher's stage maps (B, C, H, W), upcast.

    Where a pair's spatial sizes differ, the larger map is adaptive-average-pooled to
    the smaller one (mdistiller's alignment, which assumes square maps, generalised to
    H x W). Channels may differ. Raises a ValueError, naming the stage and both shapes,
    when the stage counts differ, a map is not 4-D, the batch sizes differ, or neither
    map is at least as large as the other in both height and width.
    """
    for role, feats in (('student', feats_s), ('teacher', feats_t)):
        if isinstance(feats, Tensor) or len(feats) == 0:
            raise ValueError(
                f'{loss_name}: feats_{role[0]} must be a non-empty tuple of stage maps '
                f'(B, C, H, W), shallow to deep; got '
                f'{tuple(feats.shape) if isinstance(feats, Tensor) else feats!r}.')
    if len(feats_s) != len(feats_t):
        raise ValueError(
            f'{loss_name}: the student gives {len(feats_s)} feature stages and the '
            f'teacher {len(feats_t)}; stages are compared pairwise, so both must give '
            'the same number. Declare one teacher stage per student stage in the '
            "distiller config, e.g. teacher_taps=dict(feats=['backbone.layer2', ...]).")
    pairs = []
    for stage, (f_s, f_t) in enumerate(zip(feats_s, feats_t)):
        shapes = f'student {tuple(f_s.shape)}, teacher {tuple(f_t.shape)}'
        if f_s.dim() != 4 or f_t.dim() != 4:
            raise ValueError(f'{loss_name}: stage {stage}: expected (B, C, H, W) maps, '
                             f'got {shapes}.')
        if f_s.shape[0] != f_t.shape[0]:
            raise ValueError(
                f'{loss_name}: stage {stage}: batch sizes differ ({shapes}); '
                'both models must see the same batch.')
        f_s, f_t = upcast(f_s), upcast(f_t)
        size_s, size_t = tuple(f_s.shape[2:]), tuple(f_t.shape[2:])
        if size_s != size_t:
            if all(s >= t for s, t in zip(size_s, size_t)):
                f_s = F.adaptive_avg_pool2d(f_s, size_t)
            elif all(s <= t for s, t in zip(size_s, size_t)):
                f_t = F.adaptive_avg_pool2d(f_t, size_s)
            else:
                raise ValueError(
                    f'{loss_name}: stage {stage}: spatial sizes cannot be aligned '
                    f'({shapes}): pooling needs one map at least as large as the other '
                    'in both height and width. Tap stages whose sizes nest, or resize '
                    'one side before the loss.')
        pairs.append((f_s, f_t))
    return pairs


def check_pooled_pair(loss_name: str, pooled_s: Tensor, pooled_t: Tensor,
                      min_batch: int) -> None:
    """Raise a ValueError unless both are (B, D) with the same B >= ``min_batch``."""
    shapes = f'student {tuple(pooled_s.shape)}, teacher {tuple(pooled_t.shape)}'
    if pooled_s.dim() != 2 or pooled_t.dim() != 2:
        raise ValueError(f'{loss_name}: expected (B, D) pooled vectors, got {shapes}; '
                         'flatten the penultimate features (tap the classifier input).')
    if pooled_s.shape[0] != pooled_t.shape[0]:
        raise ValueError(f'{loss_name}: batch sizes differ ({shapes}); both models '
                         'must see the same batch.')
    if pooled_s.shape[0] < min_batch:
        raise ValueError(f'{loss_name}: needs at least {min_batch} samples per batch, '
                         f'got {shapes}; it compares samples with each other.')


def below_median(values: Tensor) -> Tensor:
    """Boolean mask ``values <= median(values)`` over all elements, without host sync.

    The median is numpy's 50th percentile with linear interpolation (the mean of the
    two middle values for an even count), which the MLKD / SKD reference code computes
    with ``np.percentile`` on the host. Without ties, ``ceil(n / 2)`` of the ``n``
    elements are selected: exactly half for an even count.
    """
    flat = values.detach().flatten()
    ordered = flat.sort().values
    count = flat.numel()
    lower, upper = ordered[(count - 1) // 2], ordered[count // 2]
    median = upper - (upper - lower) * 0.5
    return values.detach() <= median


def check_connector_pair(loss_name: str,
                         where: str,
                         connector: str,
                         feat_s: Tensor,
                         feat_t: Tensor,
                         student_channels: int,
                         teacher_channels: int,
                         kwarg_index: str = '') -> None:
    """Raise a ValueError unless ``feat_s``/``feat_t`` are the (B, C, H, W) maps that
    ``connector`` was built for (``student_channels`` -> ``teacher_channels``).

    The message names ``where`` (e.g. ``'stage 1'``), both shapes, the connector and
    the kwargs to set (``student_channels{kwarg_index}``, e.g. ``[1]``).
    """
    shapes = f'student {tuple(feat_s.shape)}, teacher {tuple(feat_t.shape)}'
    if feat_s.dim() != 4 or feat_t.dim() != 4:
        raise ValueError(
            f'{loss_name}: {where}: expected (B, C, H, W) maps, got {shapes}.')
    if feat_s.shape[0] != feat_t.shape[0]:
        raise ValueError(f'{loss_name}: {where}: batch sizes differ ({shapes}); both '
                         'models must see the same batch.')
    if (feat_s.shape[1], feat_t.shape[1]) != (student_channels, teacher_channels):
        raise ValueError(
            f'{loss_name}: {where}: got {shapes}, but {connector} maps '
            f'{student_channels} student channels to {teacher_channels} teacher '
            f'channels. Set student_channels{kwarg_index}={feat_s.shape[1]} and '
            f'teacher_channels{kwarg_index}={feat_t.shape[1]} in the loss config, or tap '
            f'the maps {connector} was built for.')


def check_connector_stages(loss_name: str, connector: str, feats_s: Sequence[Tensor],
                           feats_t: Sequence[Tensor], student_channels: Sequence[int],
                           teacher_channels: Sequence[int]) -> None:
    """Raise a ValueError unless the maps are those a loss built its connectors for.

    A loss with trainable connectors builds one per stage from its ``student_channels``
    and ``teacher_channels`` kwargs. This checks that it receives as many stage maps as
    it has connectors (``connector[i]``), each as :func:`check_connector_pair` wants.
    """
    for role, feats in (('student', feats_s), ('teacher', feats_t)):
        if isinstance(feats, Tensor):
            raise ValueError(
                f'{loss_name}: feats of the {role} must be a tuple of stage maps '
                f'(B, C, H, W), shallow to deep; got one tensor of shape '
                f'{tuple(feats.shape)}.')
    if len(feats_s) != len(student_channels) or len(feats_t) != len(teacher_channels):
        shapes = (f'student {[tuple(f.shape) for f in feats_s]}, '
                  f'teacher {[tuple(f.shape) for f in feats_t]}')
        raise ValueError(
            f'{loss_name}: its {connector} were built for {len(student_channels)} '
            f'student and {len(teacher_channels)} teacher stages (student_channels='
            f'{list(student_channels)}, teacher_channels={list(teacher_channels)}), but '
            f'it received {len(feats_s)} and {len(feats_t)} maps ({shapes}). Tap exactly '
            'the compared stages (student_taps / teacher_taps, e.g. '
            "feats=['backbone.layer1', ...]) or list one channel count per tapped stage "
            'in the loss config.')
    for stage, (f_s, f_t) in enumerate(zip(feats_s, feats_t)):
        check_connector_pair(loss_name, f'stage {stage}', f'{connector}[{stage}]', f_s,
                             f_t, student_channels[stage], teacher_channels[stage],
                             f'[{stage}]')


def energy_score(logits: Tensor, temperature: float = 4.0) -> Tensor:
    """Return the (B,) free energy ``E = -T_e * logsumexp(z / T_e)`` of each sample.

    Kim et al. "Maximizing Discrimination Capability of Knowledge Distillation with
    Energy Function", Knowledge-Based Systems 296:111911, 2024 (arXiv 2311.14334);
    ``T_e = 4`` there. Low energy = a confident teacher. The reference writes
    ``log(sum(exp(z / T_e)))``, which overflows to inf for logits above ~355 in float32;
    logsumexp is equal in exact arithmetic and cannot overflow. Detached, float32 for
    AMP inputs.
    """
    return -temperature * (upcast(logits).detach() / temperature).logsumexp(dim=1)


def energy_temperatures(energy: Tensor, low_threshold: Tensor, high_threshold: Tensor,
                        low_energy_temperature: float, mid_temperature: float,
                        high_energy_temperature: float) -> Tensor:
    """Per-sample temperatures (B,) from the energy bands (Energy KD / Energy DKD).

    ``T_i = low_energy_temperature`` if ``E_i < low_threshold``,
    ``high_energy_temperature`` if ``E_i > high_threshold``, ``mid_temperature``
    otherwise. As in the reference the two band masks are added, so a sample in both
    bands (only possible when ``low_threshold > high_threshold``, i.e. rates above 0.5)
    gets the sum of the two temperatures. No host synchronisation.
    """
    below = (energy < low_threshold).to(energy.dtype)
    above = (energy > high_threshold).to(energy.dtype)
    banded = below * low_energy_temperature + above * high_energy_temperature
    return torch.where((below + above) == 0, torch.full_like(energy, mid_temperature),
                       banded)
