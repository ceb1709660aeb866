"""Hooks that correct training needs whatever the config lists (``tools/train.py``)."""
from typing import Any

from mmengine.config import Config


def _uses_type(node: Any, type_name: str) -> bool:
    """Whether a (nested) config node builds ``type_name`` anywhere."""
    if isinstance(node, dict):
        return node.get('type') == type_name or any(
            _uses_type(value, type_name) for value in node.values())
    if isinstance(node, (list, tuple)):
        return any(_uses_type(value, type_name) for value in node)
    return False


def add_training_hooks(cfg: Config) -> None:
    """Add the hooks a run needs unless ``custom_hooks`` lists them already.

    * ``EpochSeedHook``: reseeds the augmentations per epoch, so ``--resume`` continues
      with the same random draws.
    * ``ContrastiveEpochHook`` when the training set is wrapped in
      ``ContrastiveIndexDataset`` (CRD): without it every epoch silently reuses the
      negatives of epoch 0.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    present = {hook.get('type') for hook in hooks}
    required = ['EpochSeedHook']
    train_loader = cfg.get('train_dataloader') or {}
    if _uses_type(train_loader.get('dataset'), 'ContrastiveIndexDataset'):
        required.append('ContrastiveEpochHook')
    cfg.custom_hooks = hooks + [dict(type=name) for name in required if name not in present]
