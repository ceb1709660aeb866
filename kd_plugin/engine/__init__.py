from .checkpoint import (UnsafeCheckpointError, load_model_weights, register_safe_loaders,
                         safe_load)
from .distributed import setup_cpu_distributed
from .energy import EnergyThresholdHook
from .epoch_seed import EpochSeedHook
from .nonfinite import NonFiniteGuardOptimWrapper, NonFiniteLossHook
from .teacher_val import TeacherEvalHook

__all__ = ['UnsafeCheckpointError', 'load_model_weights', 'register_safe_loaders',
           'safe_load', 'setup_cpu_distributed', 'EnergyThresholdHook', 'EpochSeedHook',
           'TeacherEvalHook', 'NonFiniteGuardOptimWrapper', 'NonFiniteLossHook']
