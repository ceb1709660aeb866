from mmengine.hooks import Hook
from mmengine.runner import set_random_seed
from mmpretrain.registry import HOOKS

from kd_plugin.utils import compat


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed the global RNGs (python, numpy, torch) from ``(seed, epoch)`` each epoch.

    MMEngine 0.10.7 saves only the seed in a checkpoint and does not restore the global
    RNG states on ``--resume``; transforms such as RandomCrop draw from them, so a
    resumed run sees other augmentations than an uninterrupted one. Seeding every
    epoch from the runner's seed and the epoch index makes each epoch's randomness
    independent of what ran before (validation, an interruption), so resuming at an
    epoch boundary is bit-identical on CPU. Under DDP each rank gets its own stream
    (``diff_rank_seed``). ``tools/train.py`` adds this hook to every config.
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = runner.seed + runner.epoch
        deterministic = compat.randomness_deterministic(runner)
        set_random_seed(seed, deterministic=deterministic, diff_rank_seed=True)
