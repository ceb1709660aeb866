from .atomic_checkpoint import AtomicCheckpointHook
from .bn_probe import TrainModeNoiseProbeHook
from .distributed import setup_cpu_distributed
from .dot import DOTOptimWrapper
from .energy import EnergyThresholdHook
from .epoch_seed import EpochSeedHook
from .nonfinite import NonFiniteGuardOptimWrapper, NonFiniteLossHook
from .run_check import RunCheckHook
from .safe_loading import SafeCheckpointLoadingHook
from .stages import TrainingStageHook
from .teacher_cache_check import TeacherCacheCheckHook
from .teacher_val import TeacherEvalHook

__all__ = [
    'setup_cpu_distributed', 'EnergyThresholdHook', 'EpochSeedHook',
    'NonFiniteGuardOptimWrapper', 'NonFiniteLossHook', 'SafeCheckpointLoadingHook',
    'TeacherCacheCheckHook', 'TeacherEvalHook', 'TrainModeNoiseProbeHook',
    'AtomicCheckpointHook', 'RunCheckHook', 'DOTOptimWrapper', 'TrainingStageHook'
]
