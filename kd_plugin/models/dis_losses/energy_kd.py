"""Energy KD (Kim et al., Knowledge-Based Systems 2024) and its threshold buffers."""
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .utils import energy_score, energy_temperatures, reduce_per_sample, upcast

Number = Union[float, Tensor]


class EnergyThresholdsModule(nn.Module):
    """Base of modules that read the dataset-level teacher-energy thresholds.

    The thresholds ``low`` / ``high`` are buffers (saved in checkpoints, so a resumed
    run keeps them), initialised to NaN. ``EnergyThresholdHook`` (kd_plugin.engine)
    computes them before training with a pass of the teacher over the training set
    and calls :meth:`set_energy_thresholds`. Whether they are set is tracked on the
    host, so the training step never reads the buffers back from the device.
    """

    def __init__(self, energy_temperature: float = 4.0) -> None:
        super().__init__()
        self.energy_temperature = energy_temperature
        self.register_buffer('low_energy_threshold', torch.tensor(float('nan')))
        self.register_buffer('high_energy_threshold', torch.tensor(float('nan')))
        self._energy_thresholds_set = False

    @property
    def energy_thresholds_set(self) -> bool:
        """True once :meth:`set_energy_thresholds` ran or a checkpoint held them."""
        return self._energy_thresholds_set

    @torch.no_grad()
    def set_energy_thresholds(self, low: Number, high: Number) -> None:
        """Set the low / high energy thresholds (floats or 0-d tensors)."""
        self.low_energy_threshold.fill_(float(low))
        self.high_energy_threshold.fill_(float(high))
        self._energy_thresholds_set = not (torch.isnan(self.low_energy_threshold)
                                           or torch.isnan(self.high_energy_threshold))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        # Runs once when a checkpoint is loaded (resume / load_from), not per step.
        self._energy_thresholds_set = not bool(
            torch.isnan(self.low_energy_threshold)
            | torch.isnan(self.high_energy_threshold))

    def check_energy_thresholds(self) -> None:
        """Raise a RuntimeError, saying how to fix it, when the thresholds are unset."""
        if not self._energy_thresholds_set:
            raise RuntimeError(
                f'{type(self).__name__}: the teacher-energy thresholds are not set. They '
                'come from a pass of the teacher over the training set before training: '
                "add custom_hooks=[dict(type='EnergyThresholdHook')] to the config (or "
                'call set_energy_thresholds(low, high) yourself).')

    def teacher_energy(self, logits_t: Tensor) -> Tensor:
        """(B,) energies of the teacher logits at ``energy_temperature``."""
        return energy_score(logits_t, self.energy_temperature)


class EnergyTemperatureModule(EnergyThresholdsModule):
    """Per-sample temperatures from the teacher energy (shared by Energy KD / DKD).

    Args:
        low_temperature, mid_temperature, high_temperature: The reference cfg's
            ``T.LOW`` / ``T.MID`` / ``T.HIGH`` (2 / 4 / 6).
        energy_temperature: ``T_e`` of the energy score (4, fixed in the reference).
        match_reference: ``True`` (the reference code): low-energy (confident) samples
            get ``low_temperature``, high-energy ones ``high_temperature``. ``False``
            (the paper's text): the opposite, low-energy samples get
            ``high_temperature`` and high-energy ones ``low_temperature``.
    """

    def __init__(self,
                 low_temperature: float = 2.0,
                 mid_temperature: float = 4.0,
                 high_temperature: float = 6.0,
                 energy_temperature: float = 4.0,
                 match_reference: bool = True) -> None:
        super().__init__(energy_temperature)
        self.low_temperature = low_temperature
        self.mid_temperature = mid_temperature
        self.high_temperature = high_temperature
        self.match_reference = match_reference

    def sample_temperatures(self, logits_t: Tensor) -> Tensor:
        """Return the (B,) temperature of each sample (no host synchronisation)."""
        self.check_energy_thresholds()
        if self.match_reference:
            low_energy_t, high_energy_t = self.low_temperature, self.high_temperature
        else:
            low_energy_t, high_energy_t = self.high_temperature, self.low_temperature
        energy = self.teacher_energy(logits_t)
        return energy_temperatures(energy, self.low_energy_threshold,
                                   self.high_energy_threshold, low_energy_t,
                                   self.mid_temperature, high_energy_t)


@MODELS.register_module()
class EnergyKDLoss(EnergyTemperatureModule):
    """Energy KD: KD with a per-sample temperature chosen by the teacher's energy.

    Kim, Ham, Lee, Jang, Kim. "Maximizing Discrimination Capability of Knowledge
    Distillation with Energy Function", Knowledge-Based Systems 296:111911, 2024
    (arXiv 2311.14334); reference code Seonghak35/EnergyKD ``energyKD``.

    With the teacher energy ``E_i = -T_e logsumexp(z^t_i / T_e)`` and the dataset
    thresholds ``low`` / ``high`` (``EnergyThresholdHook``):

    .. math::
        T_i = \\begin{cases} T_{low} & E_i < low \\\\ T_{high} & E_i > high \\\\
              T_{mid} & \\text{otherwise} \\end{cases} \\qquad
        L = w \\, \\frac{1}{B} \\sum_i T_i^2 \\,
            \\mathrm{KL}\\big(\\mathrm{softmax}(z^t_i / T_i) \\,\\|\\,
            \\mathrm{softmax}(z^s_i / T_i)\\big)

    With all ``T_i = T`` this is :class:`KDLoss`. Paper vs code: the paper gives
    *low*-energy samples a *higher* temperature; the reference code gives them
    ``T.LOW = 2`` (and ``T.HIGH = 6`` to high-energy samples). ``match_reference=True``
    (default) follows the code, ``False`` the paper. A sample in both bands (only when
    the thresholds cross, rates > 0.5) gets ``T_low + T_high``, as in the code. The
    energy uses logsumexp instead of the code's ``log(sum(exp))`` (same value, no
    overflow).

    Args:
        low_temperature / mid_temperature / high_temperature: 2 / 4 / 6.
        energy_temperature: ``T_e`` = 4.
        match_reference: Temperature mapping of the code (True) or the paper (False).
        loss_weight: ``w`` (0.9 on CIFAR-100, student CE weight 0.1).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (the (B,) per-sample terms).
    """

    def __init__(self,
                 low_temperature: float = 2.0,
                 mid_temperature: float = 4.0,
                 high_temperature: float = 6.0,
                 energy_temperature: float = 4.0,
                 match_reference: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__(low_temperature, mid_temperature, high_temperature,
                         energy_temperature, match_reference)
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, logits_s: Tensor, logits_t: Tensor) -> Tensor:
        """Return the weighted Energy KD term (a scalar unless ``reduction='none'``)."""
        logits_s, logits_t = upcast(logits_s), upcast(logits_t)
        temperature = self.sample_temperatures(logits_t).to(logits_s.dtype)[:, None]
        log_p_s = F.log_softmax(logits_s / temperature, dim=1)
        log_p_t = F.log_softmax(logits_t / temperature, dim=1)
        per_sample = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
        per_sample = per_sample * temperature.squeeze(1)**2
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
