import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import autocast_off, below_median, upcast


@MODELS.register_module()
class SKDLoss(nn.Module):
    """Streamlined Knowledge Distillation (SKD).

    Jeong et al. "Streamlined Knowledge Distillation", CVPR 2026; code:
    HyunJunSik/StreamLined ``Distiller/SKD.py`` (``kd_loss``, ``SKD_loss``,
    ``SKD.forward_train``). The loss is an instance term plus a *directional* term
    that compares the batch's cosine-similarity structure of the logits:

    .. math::
        \\hat z_i = z_i / \\|z_i\\|_2, \\qquad
        G = \\hat Z \\hat Z^\\top / C \\quad (B \\times B), \\qquad D = G^s - G^t

        \\Sigma' = \\mathrm{cov}(D) + \\lambda I, \\qquad
        L_{DIR} = \\frac{1}{B} \\sum_i \\sqrt{D_i \\Sigma'^{-1} D_i^\\top}

    where ``cov`` is the unbiased (``B - 1``) covariance whose variables are the ``B``
    columns of ``D`` and whose observations are its rows. Gradients flow through
    ``Sigma'`` as well. ``L_INS = T^2 * batch-mean KL(softmax(z_t/T) || softmax(z_s/T))``.

    ``match_reference=True`` (default) computes what the reference code optimises:

    .. math::
        L = w \\, f_m \\, L_{INS} + w \\, f_k \\, L_{DIR}

    The reference multiplies the already-reduced scalars by MLKD-style confidence masks
    and averages, so each mask only contributes the fraction of its ones: ``f_m`` is the
    fraction of samples whose teacher confidence (max softmax at T=1) is ``<=`` its
    batch median, ``f_k`` the fraction of classes whose batch-summed teacher probability
    is ``<=`` its median (0.5 for an even count without ties). The ``1/C`` in ``G`` is
    also the code's.

    ``match_reference=False`` is the paper's formulation as a third-party summary of it
    gives (the paper text itself was not available): ``L = w (L_INS + L_DIR)``, no masks,
    and ``G = \\hat Z \\hat Z^\\top`` without the ``1/C`` scaling. With the reference's
    ``1/C`` the entries of ``D`` are at most ``2/C``, so ``cov(D) << lambda I`` and the
    whitening is nearly inactive; without it the covariance matters.

    All batch statistics (masks, covariance) are taken over the batch given to the
    loss, i.e. per GPU under DDP, as the reference did per DataParallel chunk. The
    batch needs at least two samples.

    Args:
        temperature: Temperature ``T`` of the instance term (4 on CIFAR-100).
        tik: Tikhonov regulariser ``lambda`` added to the covariance (0.1).
        loss_weight: Weight ``w`` (the reference's ``kd`` weight, 0.9 since the
            March 2026 code with the student's cross-entropy at 0.1; 0.5 / 0.5 before).
        match_reference: Reproduce the reference code (default) or the paper formula.
    """

    def __init__(self,
                 temperature: float = 4.0,
                 tik: float = 0.1,
                 loss_weight: float = 1.0,
                 match_reference: bool = True) -> None:
        super().__init__()
        self.temperature = temperature
        self.tik = tik
        self.loss_weight = loss_weight
        self.match_reference = match_reference

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted SKD term (a scalar)."""
        with autocast_off(logits_s):
            logits_s, logits_t = upcast(logits_s), upcast(logits_t)
            instance = self._instance(logits_s, logits_t)
            directional = self._directional(logits_s, logits_t)
            if self.match_reference:
                probs_t = F.softmax(logits_t, dim=1)
                sample_fraction = below_median(
                    probs_t.max(dim=1).values).to(probs_t).mean()
                class_fraction = below_median(probs_t.sum(dim=0)).to(probs_t).mean()
                instance = sample_fraction * instance
                directional = class_fraction * directional
            return self.loss_weight * (instance + directional)

    def _instance(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """``T^2`` times the batch-mean KL divergence at temperature ``T``."""
        temperature = self.temperature
        log_p_s = F.log_softmax(logits_s / temperature, dim=1)
        log_p_t = F.log_softmax(logits_t / temperature, dim=1)
        kl = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
        return kl.mean() * temperature**2

    def _directional(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Mean Mahalanobis norm of the rows of the Gram difference ``D``."""
        batch_size, num_classes = logits_s.shape
        if batch_size < 2:
            raise ValueError(
                f'SKDLoss needs at least 2 samples per batch (the directional '
                f'term takes a covariance over samples), got {batch_size}.')
        unit_s = F.normalize(logits_s, p=2, dim=1)
        unit_t = F.normalize(logits_t, p=2, dim=1)
        diff = unit_s @ unit_s.T - unit_t @ unit_t.T
        if self.match_reference:
            diff = diff / num_classes
        centred = diff - diff.mean(dim=0, keepdim=True)
        eye = torch.eye(batch_size, dtype=diff.dtype, device=diff.device)
        covariance = centred.T @ centred / (batch_size - 1) + self.tik * eye
        # cholesky_ex: no error check, hence no host sync; cov + tik * I is positive
        # definite for tik > 0.
        chol = torch.linalg.cholesky_ex(covariance).L
        # Column i of L^-1 D^T is L^-1 d_i, and d_i^T (L L^T)^-1 d_i = |L^-1 d_i|^2.
        whitened = torch.linalg.solve_triangular(chol, diff.T, upper=False)
        squared = whitened.pow(2).sum(dim=0)
        # A row of D that is exactly zero has no sqrt gradient; clamp gives it zero.
        return squared.clamp_min(torch.finfo(squared.dtype).tiny).sqrt().mean()
