"""Safe checkpoint loading for the length of a run, as a hook the runtime config names."""
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from kd_plugin.utils.checkpoint import (
    install_safe_checkpoint_loading,
    restore_checkpoint_loading,
)


@HOOKS.register_module()
class SafeCheckpointLoadingHook(Hook):
    """Load MMEngine's checkpoints through kd_plugin's allow-list while a run lasts.

    MMEngine 0.10.7 calls ``torch.load`` with torch's defaults, which refuse runner
    checkpoints on torch >= 2.6 (``--resume``, ``load_from`` and ``tools/test.py``
    fail). From ``before_run`` (before the runner loads ``load_from`` or resumes) to
    ``after_run``, this hook routes MMEngine's local and HTTP(S) loaders through
    :func:`kd_plugin.utils.checkpoint.safe_load`: ``weights_only=True`` plus the
    plain-data globals MMEngine writes; a file that would import anything else is
    refused with the global's name. The loaders are put back after the run, so nothing
    else in the process changes.

    ``configs/_base_/default_runtime.py`` sets it as
    ``default_hooks.safe_checkpoint_loading``; a config switches it off with
    ``default_hooks = dict(safe_checkpoint_loading=None)``.
    """

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self._previous = None

    def before_run(self, runner) -> None:
        self._previous = install_safe_checkpoint_loading()

    def after_run(self, runner) -> None:
        if self._previous is not None:
            restore_checkpoint_loading(self._previous)
            self._previous = None
