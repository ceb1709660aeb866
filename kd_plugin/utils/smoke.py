"""Turn any config into a tiny, offline, CPU run (``tools/smoke.py``, the test suite).

File-based datasets become :class:`SyntheticClsDataset` with the config's own in-memory
transforms, checkpoints and pretrained weights are dropped (nothing downloads), batches
are tiny, and training stops after a few iterations followed by one validation pass.
"""
import contextlib
import copy
from typing import Iterator, Optional

from mmengine.config import Config, ConfigDict

WEIGHT_KEYS = ('teacher_ckpt', 'pretrained', 'checkpoint_path')


def _strip_weights(node) -> None:
    """Remove checkpoint references (and Pretrained init_cfgs) from a model config."""
    if isinstance(node, dict):
        for key in WEIGHT_KEYS:
            if key in node:
                node[key] = None if key != 'pretrained' or not isinstance(
                    node[key], bool) else False
        init_cfg = node.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for value in node.values():
            _strip_weights(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _strip_weights(value)


def _synthetic(dataset: dict, num_samples: int, num_classes: int, image_size: int) -> dict:
    """Replace the innermost file-based dataset, keeping wrappers and the pipeline."""
    if isinstance(dataset.get('dataset'), dict):
        inner = _synthetic(dataset['dataset'], num_samples, num_classes, image_size)
        return dict(dataset, dataset=inner)
    pipeline = [step for step in dataset.get('pipeline', [])
                if not str(step.get('type', '')).startswith('Load')]
    return dict(type='SyntheticClsDataset', num_samples=num_samples,
                num_classes=num_classes, image_size=image_size, pipeline=pipeline)


def find_num_classes(cfg: Config) -> int:
    for source in (cfg.get('data_preprocessor') or {}, cfg.model.get('data_preprocessor') or {}):
        if source.get('num_classes'):
            return source['num_classes']
    for role in ('student', 'teacher'):
        head = (cfg.model.get(role) or {}).get('head') if isinstance(
            cfg.model.get(role), dict) else None
        if head and head.get('num_classes'):
            return head['num_classes']
    head = cfg.model.get('head') or {}
    if head.get('num_classes'):
        return head['num_classes']
    raise ValueError('Cannot tell the number of classes: set data_preprocessor.num_classes')


def smoke_config(cfg: Config, iters: int = 2, batch_size: int = 2, image_size: int = 32,
                 work_dir: Optional[str] = None) -> Config:
    """A copy of ``cfg`` that trains ``iters`` iterations then validates, offline, on CPU."""
    cfg = copy.deepcopy(cfg)
    num_classes = find_num_classes(cfg)
    _strip_weights(cfg.model)
    for split, size in (('train_dataloader', iters * batch_size),
                        ('val_dataloader', batch_size), ('test_dataloader', batch_size)):
        loader = cfg.get(split)
        if not loader:
            continue
        loader.dataset = _synthetic(loader.dataset, size, num_classes, image_size)
        loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False,
                      pin_memory=False)
    train_cfg = cfg.get('train_cfg') or ConfigDict(by_epoch=True)
    if train_cfg.get('type') == 'IterBasedTrainLoop' or train_cfg.get('by_epoch') is False:
        train_cfg.update(max_iters=iters, val_interval=iters)
    else:
        train_cfg.update(max_epochs=1, val_interval=1)
    cfg.train_cfg = train_cfg
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.pop('visualization', None)
    cfg.load_from, cfg.resume, cfg.launcher = None, False, 'none'
    cfg.randomness = dict(seed=0)
    cfg.env_cfg = dict(cfg.get('env_cfg') or {}, dist_cfg=dict(backend='gloo'))
    if cfg.get('optim_wrapper', {}).get('type') == 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'OptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
    if work_dir is not None:
        cfg.work_dir = work_dir
    return cfg


@contextlib.contextmanager
def plain_config_text() -> Iterator[None]:
    """Skip yapf-formatting the config while the runner logs and saves it.

    The runner formats the whole config five times per run (log, dump, checkpoint meta,
    message hub, visualizer), seconds each for configs with two models: the bulk of a
    smoke run. Smoke runs never read that text, so it is left out.
    """
    formatted = Config.pretty_text
    Config.pretty_text = property(lambda cfg: '# (config text not rendered in smoke runs)')
    try:
        yield
    finally:
        Config.pretty_text = formatted
