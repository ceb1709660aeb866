import math

import torch
import torch.nn as nn
from mmengine import dist
from mmpretrain.registry import MODELS
from torch import Tensor

from ..connectors.linear_embed import LinearEmbed
from .utils import autocast_off, check_pooled_pair


@MODELS.register_module()
class CRDLoss(nn.Module):
    """Contrastive representation distillation with a memory bank and NCE.

    Tian, Krishnan, Isola. "Contrastive Representation Distillation", ICLR 2020; the
    authors' RepDistiller (``crd/criterion.py``, ``crd/memory.py``) and mdistiller's
    ``CRD.py``, the same code.

    The pooled vectors are embedded on the unit sphere by two trainable heads
    (:class:`LinearEmbed`, ``feat_dim`` wide; the teacher's head trains too):
    ``v_s = embed_s(pooled_s)``, ``v_t = embed_t(pooled_t)``. Two memory banks of
    ``num_data x feat_dim`` hold one embedding per training sample: ``memory_s``
    (student side, the original's ``memory_v1``) and ``memory_t`` (``memory_v2``).
    With the contrast indices ``c_{b,0..K}`` of sample ``b`` (``c_{b,0}`` the positive,
    from :class:`~kd_plugin.datasets.ContrastiveIndexDataset`) and ``T =
    nce_temperature``:

    .. math::
        p^s_{bk} = \\exp(\\langle M_t[c_{bk}], v_{s,b} \\rangle / T) / Z_s, \\qquad
        p^t_{bk} = \\exp(\\langle M_s[c_{bk}], v_{t,b} \\rangle / T) / Z_t

    ``Z_s``, ``Z_t`` are set once, on the first batch, to ``mean(exp(.)) * num_data``
    and then kept (buffers ``z_s``, ``z_t``, NaN until set). The NCE loss of each side,
    with the noise term ``m P_n = K / num_data`` and ``eps = 1e-7``:

    .. math::
        L(p) = -\\frac{1}{B} \\sum_b \\Big[\\log \\frac{p_{b0}}{p_{b0} + K/N + \\epsilon}
               + \\sum_{k=1}^K \\log \\frac{K/N}{p_{bk} + K/N + \\epsilon}\\Big]

    and the term is ``loss_weight * (L(p^s) + L(p^t))``. After the scores, under
    ``no_grad``, the rows of this batch's samples are updated:
    ``M_s[i] <- normalize(momentum M_s[i] + (1 - momentum) v_s)`` and likewise
    ``M_t`` with ``v_t``. The banks start uniform in ``[-a, a]``, ``a = 1 /
    sqrt(feat_dim / 3)``, unnormalised, as in the original.

    Banks and ``Z`` are buffers: saved in checkpoints and restored on resume (CIFAR-100:
    2 x 50000 x 128 floats, 51 MB). Under DDP they stay identical on every rank: on the
    first step the banks are broadcast from rank 0 and ``Z`` is averaged over the ranks
    (the mean over the global batch); every update all-gathers the embeddings and
    indices of all ranks and applies them on each rank (a dataset index occurring
    twice, as DistributedSampler's padding makes, is written once, from its first
    occurrence). The loss itself is computed from the rank's own batch.

    The embeddings and scores run in the heads' dtype (float32) with autocast off:
    ``exp(1 / 0.07)`` exceeds fp16's range.
    Memory: each side gathers a (B, K+1, feat_dim) block of the bank (B=64, K=16384:
    0.5 GB per side in float32), as the original does.

    Args:
        student_channels: Width of ``pooled_s`` (e.g. 256 for resnet8x4).
        teacher_channels: Width of ``pooled_t``.
        num_data: ``N``, the number of training samples (rows of the banks, and ``P_n =
            1/N``): 50000 on CIFAR-100.
        feat_dim: Embedding width (128).
        num_negatives: ``K`` (``nce_k``, 16384); must equal the dataset wrapper's.
        nce_temperature: ``T`` (``nce_t``, 0.07).
        momentum: Bank momentum (``nce_m``, 0.5).
        loss_weight: ``beta`` (0.8 on CIFAR-100).
        eps: The NCE's ``epsilon`` (1e-7).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 num_data: int,
                 feat_dim: int = 128,
                 num_negatives: int = 16384,
                 nce_temperature: float = 0.07,
                 momentum: float = 0.5,
                 loss_weight: float = 0.8,
                 eps: float = 1e-7) -> None:
        super().__init__()
        if num_data < 2:
            raise ValueError(f'CRDLoss: num_data must be the training set size, got '
                             f'{num_data}.')
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.num_data = int(num_data)
        self.feat_dim = feat_dim
        self.num_negatives = int(num_negatives)
        self.nce_temperature = nce_temperature
        self.momentum = momentum
        self.loss_weight = loss_weight
        self.eps = eps
        self.embed_s = LinearEmbed(student_channels, feat_dim)
        self.embed_t = LinearEmbed(teacher_channels, feat_dim)
        bound = 1.0 / math.sqrt(feat_dim / 3)
        for name in ('memory_s', 'memory_t'):
            bank = torch.rand(self.num_data, feat_dim).mul_(2 * bound).sub_(bound)
            self.register_buffer(name, bank)
        self.register_buffer('z_s', torch.tensor(float('nan')))
        self.register_buffer('z_t', torch.tensor(float('nan')))
        # Host mirror of "Z is set", so that a step reads no buffer back from the device.
        self._normalisers_set = False

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._normalisers_set = not bool(torch.isnan(self.z_s) | torch.isnan(self.z_t))

    def forward(self, pooled_s: Tensor, pooled_t: Tensor, sample_idx: Tensor,
                contrast_idx: Tensor) -> Tensor:
        """Return the weighted CRD term, then update the memory banks."""
        self.check_shapes(pooled_s, pooled_t)
        first_batch = not self._normalisers_set
        self._check_indices(
            pooled_s.shape[0], sample_idx, contrast_idx, check_range=first_batch)
        with autocast_off(pooled_s):
            dtype = self.embed_s.linear.weight.dtype
            v_s = self.embed_s(pooled_s.to(dtype))
            v_t = self.embed_t(pooled_t.to(dtype))
            if first_batch:
                self._broadcast_memories()
            scores_s = self._scores(self.memory_t, contrast_idx, v_s)
            scores_t = self._scores(self.memory_s, contrast_idx, v_t)
            if first_batch:
                self._set_normalisers(scores_s, scores_t)
            loss = self._nce(scores_s / self.z_s) + self._nce(scores_t / self.z_t)
        self._update_memories(v_s.detach(), v_t.detach(), sample_idx)
        return self.loss_weight * loss

    # -------------------------------------------------------------- pieces
    def _scores(self, memory: Tensor, contrast_idx: Tensor, anchor: Tensor) -> Tensor:
        """(B, K+1) ``exp(<memory[c_bk], anchor_b> / T)``."""
        batch, width = contrast_idx.shape
        rows = memory.index_select(0, contrast_idx.reshape(-1)).view(batch, width, -1)
        dots = torch.bmm(rows, anchor.unsqueeze(2)).squeeze(2)
        return torch.exp(dots / self.nce_temperature)

    def _nce(self, probs: Tensor) -> Tensor:
        """The NCE loss of (B, K+1) normalised scores, positive in column 0."""
        noise = (probs.shape[1] - 1) / self.num_data
        log_pos = torch.log(probs[:, 0] / (probs[:, 0] + noise + self.eps))
        log_neg = torch.log(noise / (probs[:, 1:] + noise + self.eps))
        return -(log_pos.sum() + log_neg.sum()) / probs.shape[0]

    @torch.no_grad()
    def _set_normalisers(self, scores_s: Tensor, scores_t: Tensor) -> None:
        """``Z = mean(scores) * N`` from the first batch (over all ranks under DDP)."""
        for buffer, scores in ((self.z_s, scores_s), (self.z_t, scores_t)):
            value = scores.detach().mean() * self.num_data
            if dist.get_world_size() > 1:
                dist.all_reduce(value, op='mean')
            buffer.copy_(value)
        self._normalisers_set = True

    @torch.no_grad()
    def _broadcast_memories(self) -> None:
        if dist.get_world_size() > 1:
            dist.broadcast(self.memory_s, src=0)
            dist.broadcast(self.memory_t, src=0)

    @torch.no_grad()
    def _update_memories(self, v_s: Tensor, v_t: Tensor, sample_idx: Tensor) -> None:
        """``M[i] <- normalize(m M[i] + (1 - m) v)`` at the batch's indices, all
        ranks'."""
        if dist.get_world_size() > 1:
            v_s = torch.cat(dist.all_gather(v_s.contiguous()))
            v_t = torch.cat(dist.all_gather(v_t.contiguous()))
            sample_idx = torch.cat(dist.all_gather(sample_idx.contiguous()))
        first = first_occurrences(sample_idx)
        sample_idx, v_s, v_t = sample_idx[first], v_s[first], v_t[first]
        for memory, v in ((self.memory_s, v_s), (self.memory_t, v_t)):
            rows = memory.index_select(0, sample_idx) * self.momentum
            rows += v.to(memory.dtype) * (1 - self.momentum)
            rows /= rows.norm(dim=1, keepdim=True)
            memory.index_copy_(0, sample_idx, rows)

    def check_shapes(self, pooled_s: Tensor, pooled_t: Tensor) -> None:
        """Raise a ValueError unless the pooled vectors are (B, D) of the widths the
        embedding heads were built for (``student_channels``, ``teacher_channels``).
        Every step runs it (free); the shape probe runs it when the model is built."""
        check_pooled_pair('CRDLoss', pooled_s, pooled_t, 1)
        if (pooled_s.shape[1], pooled_t.shape[1]) != (self.student_channels,
                                                      self.teacher_channels):
            raise ValueError(
                f'CRDLoss: got pooled vectors student {tuple(pooled_s.shape)}, teacher '
                f'{tuple(pooled_t.shape)}, but the embeddings were built for '
                f'student_channels={self.student_channels}, teacher_channels='
                f'{self.teacher_channels}. Set student_channels={pooled_s.shape[1]} and '
                f'teacher_channels={pooled_t.shape[1]} in the loss config.')

    def _check_indices(self, batch: int, sample_idx: Tensor, contrast_idx: Tensor,
                       check_range: bool) -> None:
        """Index shapes every step (free); their range, a host sync, on the first step
        (a wrong ``num_data`` is a configuration error, the same on every step)."""
        if contrast_idx.shape != (batch, self.num_negatives + 1):
            raise ValueError(
                f'CRDLoss: contrast_idx has shape {tuple(contrast_idx.shape)}, expected '
                f'({batch}, num_negatives + 1 = {self.num_negatives + 1}). Give the '
                'ContrastiveIndexDataset wrapper the same num_negatives as the loss.')
        if sample_idx.shape != (batch, ):
            raise ValueError(f'CRDLoss: sample_idx has shape {tuple(sample_idx.shape)}, '
                             f'expected ({batch},).')
        if not check_range:
            return
        low = torch.minimum(sample_idx.min(), contrast_idx.min())
        high = torch.maximum(sample_idx.max(), contrast_idx.max())
        low, high = int(low), int(high)
        if low < 0 or high >= self.num_data:
            raise ValueError(
                f'CRDLoss: a dataset index ({high if high >= self.num_data else low}) is '
                f'outside the memory banks of num_data={self.num_data} rows. Set '
                'num_data to the size of the training set (e.g. 50000 for CIFAR-100; '
                'len(train_dataloader.dataset) for a smaller one).')


def first_occurrences(indices: Tensor) -> Tensor:
    """Positions of the first occurrence of each distinct value of a 1-D tensor."""
    unique, inverse = torch.unique(indices, return_inverse=True)
    positions = torch.arange(indices.numel(), device=indices.device)
    first = torch.full((unique.numel(), ),
                       indices.numel(),
                       dtype=positions.dtype,
                       device=indices.device)
    return first.scatter_reduce(0, inverse, positions, reduce='amin')
