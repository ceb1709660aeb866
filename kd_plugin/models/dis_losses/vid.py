import math
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from kd_plugin.models.connectors import ConvMLPConnector
from .utils import aligned_stage_pairs, check_connector_stages


@MODELS.register_module()
class VIDLoss(nn.Module):
    """Variational information distillation.

    Ahn, Hu, Damianou, Lawrence, Dai. "Variational Information Distillation for
    Knowledge Transfer", CVPR 2019.

    VID maximises a variational lower bound of the mutual information between teacher
    and student features: the teacher map ``t`` of each stage is modelled as a Gaussian
    whose mean ``mu(s)`` is regressed from the student map (:class:`ConvMLPConnector`)
    and whose variance ``sigma_c^2 = softplus(alpha_c) + eps`` has one value per teacher
    channel. The loss is the negative log-likelihood, without its constant,
    averaged over the elements of each stage and summed over the stages ``i``:

    .. math::
        L_{VID} = w \\sum_i \\frac{1}{B C_i H_i W_i} \\sum_{b,c,h,w} \\frac{1}{2}
            \\Big( \\frac{(\\mu_{b,c,h,w}(s) - t_{b,c,h,w})^2}{\\sigma_c^2}
            + \\log \\sigma_c^2 \\Big)

    ``sigma^2`` starts at ``init_var`` (5). Where the sizes differ, the larger map is
    average-pooled to the smaller before the regressor, as in both originals. The
    teacher maps are constants.

    By default the variances are trained (``log_scales``, an ``nn.ParameterList`` of this
    module, so the optimizer, weight decay, checkpoints and DDP see them), as in the VID
    paper and in RepDistiller (HobbitLong/RepDistiller@b84f547:distiller_zoo/VID.py, the
    ``VIDLoss`` modules are in ``trainable_list`` of train_student.py), whose runs
    produced the published CIFAR-100 VID numbers. mdistiller
    (megvii-research/mdistiller@a08d46f:mdistiller/distillers/VID.py) keeps them in a
    plain Python list that is neither registered nor returned by
    ``get_learnable_parameters``: there ``sigma^2`` stays ``init_var`` for the whole run
    and VID reduces to ``MSE / (2 init_var)`` plus a constant. ``learn_variances=False``
    reproduces that: the variances are constant buffers, outside ``parameters()`` and the
    state dict. mdistiller also probes the feature shapes with a train-mode forward of
    the loaded teacher, which moves its BN running statistics (see
    :class:`~kd_plugin.engine.TrainModeNoiseProbeHook`); the regressors here are built
    from explicit channels.

    Args:
        student_channels: Channels of each compared student stage, shallow to deep
            (one regressor per stage: the maps of ``feats_s``, in order).
        teacher_channels: Channels of the matching teacher stages.
        init_var: Initial variance ``sigma^2`` (``INIT_PRED_VAR``: 5).
        eps: Floor ``eps`` added to the softplus (1e-5).
        loss_weight: Weight ``w`` (``FEAT_WEIGHT``: 1 on CIFAR-100).
        learn_variances: Train the variances (default, RepDistiller) or keep them at
            ``init_var`` (mdistiller).
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 init_var: float = 5.0,
                 eps: float = 1e-5,
                 loss_weight: float = 1.0,
                 learn_variances: bool = True) -> None:
        super().__init__()
        if len(student_channels) != len(teacher_channels):
            raise ValueError(
                f'VIDLoss: student_channels={list(student_channels)} and '
                f'teacher_channels={list(teacher_channels)} must list the same number '
                'of stages.')
        if init_var <= eps:
            raise ValueError(f'VIDLoss: init_var={init_var} must exceed eps={eps}.')
        self.student_channels = tuple(student_channels)
        self.teacher_channels = tuple(teacher_channels)
        self.eps = eps
        self.loss_weight = loss_weight
        self.regressors = nn.ModuleList(
            ConvMLPConnector(c_s, c_t)
            for c_s, c_t in zip(self.student_channels, self.teacher_channels))
        # Inverse softplus, so that softplus(alpha) + eps == init_var.
        alpha = math.log(math.expm1(init_var - eps))
        alphas = [torch.full((c_t, ), alpha) for c_t in self.teacher_channels]
        self.learn_variances = learn_variances
        if learn_variances:
            self.log_scales = nn.ParameterList(nn.Parameter(a) for a in alphas)
        else:
            for stage, a in enumerate(alphas):
                self.register_buffer(f'fixed_log_scale{stage}', a, persistent=False)

    def variances(self) -> List[Tensor]:
        """The current ``sigma^2`` of every stage, each (C_t,)."""
        if self.learn_variances:
            alphas = list(self.log_scales)
        else:
            alphas = [
                getattr(self, f'fixed_log_scale{stage}')
                for stage in range(len(self.teacher_channels))
            ]
        return [F.softplus(alpha) + self.eps for alpha in alphas]

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
        """Return the weighted VID term, summed over the stages."""
        pairs = self._checked_pairs(feats_s, feats_t)
        loss = 0.0
        for (f_s, f_t), regressor, var in zip(pairs, self.regressors, self.variances()):
            mean = regressor(f_s).to(f_t.dtype)
            var = var.to(f_t.dtype).view(1, -1, 1, 1)
            nll = 0.5 * ((mean - f_t.detach()).pow(2) / var + var.log())
            loss = loss + nll.mean()
        return self.loss_weight * loss

    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> None:
        """Raise a ValueError unless the tapped maps fit the regressors (shape probe):
        one map pair per regressor, with its channels, and spatial sizes that pool to
        each other."""
        self._checked_pairs(feats_s, feats_t)

    def _checked_pairs(self, feats_s: Sequence[Tensor],
                       feats_t: Sequence[Tensor]) -> List[Tuple[Tensor, Tensor]]:
        """The size-aligned stage pairs, checked against the regressors."""
        check_connector_stages('VIDLoss', 'regressors', feats_s, feats_t,
                               self.student_channels, self.teacher_channels)
        return aligned_stage_pairs('VIDLoss', feats_s, feats_t)
