"""The base layer: depends on no other part of kd_plugin.

The loss input vocabulary (:mod:`.vocabulary`), safe checkpoint IO (:mod:`.checkpoint`),
the teacher-output cache format (:mod:`.teacher_cache`), the stack check (:mod:`.stack`)
and the private-API compatibility shims (:mod:`.compat`).
"""
from .checkpoint import (
    UnsafeCheckpointError,
    install_safe_checkpoint_loading,
    load_model_weights,
    restore_checkpoint_loading,
    safe_checkpoint_loading,
    safe_load,
)
from .stack import check_stack

__all__ = [
    'UnsafeCheckpointError', 'check_stack', 'install_safe_checkpoint_loading',
    'load_model_weights', 'restore_checkpoint_loading', 'safe_checkpoint_loading',
    'safe_load'
]
