"""DeiT's distillation token, trainable: a head and the distillation-token loss.

Touvron, Cord, Douze, Massa, Sablayrolles, Jegou. "Training data-efficient image
transformers & distillation through attention", ICML 2021 (official facebookresearch/deit
``DistillationLoss``).

The student is a ``DistilledVisionTransformer`` (class and distillation tokens) with
:class:`DeiTDistillHead`. In training, the head returns the class-token logits (its own
loss, the config's CE / label smoothing against the labels, trains only them) and still
runs ``layers.head_dist`` on the distillation token, so that a tap records its output:

.. code-block:: python

    student_taps=dict(dist_logits='head.layers.head_dist'),
    distill_losses=dict(loss_deit=dict(type='DeiTDistillTokenLoss', mode='hard',
                                       loss_weight=0.5)),
    student_loss_weight=0.5,

gives DeiT's ``(1 - a) CE(cls, y) + a L_dist(dist, teacher)`` with ``a = 0.5``. At test
time the head averages both logits, as DeiT (and MMPretrain's ``DeiTClsHead``) do.
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import DeiTClsHead
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class DeiTDistillHead(DeiTClsHead):
    """MMPretrain's ``DeiTClsHead`` made trainable.

    - training mode: returns the class-token logits ``head(cls)``, so the head's loss
      (``loss`` config) trains the class token with the labels; ``head_dist(dist)`` is
      computed too (its output is the ``dist_logits`` tap of
      :class:`DeiTDistillTokenLoss`), without the warning of ``DeiTClsHead``;
    - eval mode: returns ``(head(cls) + head_dist(dist)) / 2``.

    Same arguments and state-dict keys as ``DeiTClsHead`` (``layers.head``,
    ``layers.head_dist``), so MMPretrain's distilled DeiT checkpoints load into it.
    """

    def forward(self, feats: Tuple[List[Tensor]]) -> Tensor:
        cls_token, dist_token = self.pre_logits(feats)
        cls_score = self.layers.head(cls_token)
        dist_score = self.layers.head_dist(dist_token)
        if self.training:
            return cls_score
        return (cls_score + dist_score) / 2


@MODELS.register_module()
class DeiTDistillTokenLoss(nn.Module):
    """DeiT's distillation-token loss, on the logits of ``head.layers.head_dist``.

    - ``mode='hard'``: ``w * CE(z_dist, argmax z_t)`` (DeiT's hard distillation);
    - ``mode='soft'``: ``w * T^2 * KL(softmax(z_t / T) || softmax(z_dist / T))``.

    The official code divides the soft term's sum by ``B * C`` (``outputs_kd.numel()``),
    a factor ``1 / C`` below the paper's per-sample KL; ``match_reference=True``
    (default) keeps that, ``False`` divides by ``B`` (the paper's batch mean).

    Args:
        mode: ``'hard'`` or ``'soft'``.
        temperature: ``T`` of the soft mode (DeiT's ``distillation_tau``, 1.0).
        loss_weight: ``w`` (DeiT's ``distillation_alpha``, 0.5; the class-token CE then
            gets ``1 - alpha`` through the distiller's ``student_loss_weight``).
        match_reference: Soft mode only, see above.
    """

    def __init__(self,
                 mode: str = 'hard',
                 temperature: float = 1.0,
                 loss_weight: float = 0.5,
                 match_reference: bool = True) -> None:
        super().__init__()
        if mode not in ('hard', 'soft'):
            raise ValueError(f"DeiTDistillTokenLoss: mode must be 'hard' or 'soft', "
                             f'got {mode!r}')
        self.mode = mode
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def forward(self, dist_logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted distillation-token term."""
        if dist_logits_s.shape != logits_t.shape:
            raise ValueError('DeiTDistillTokenLoss: distillation-token logits '
                             f'{tuple(dist_logits_s.shape)} and teacher logits '
                             f'{tuple(logits_t.shape)} differ; tap '
                             "student_taps=dict(dist_logits='head.layers.head_dist').")
        logits_s = dist_logits_s.float() if dist_logits_s.dtype in (
            torch.float16, torch.bfloat16) else dist_logits_s
        logits_t = logits_t.detach().to(logits_s.dtype)
        if self.mode == 'hard':
            return self.loss_weight * F.cross_entropy(logits_s, logits_t.argmax(dim=1))
        temperature = self.temperature
        kl = F.kl_div(
            F.log_softmax(logits_s / temperature, dim=1),
            F.log_softmax(logits_t / temperature, dim=1),
            reduction='sum',
            log_target=True)
        divisor = logits_s.numel() if self.match_reference else logits_s.shape[0]
        return self.loss_weight * kl * temperature**2 / divisor
