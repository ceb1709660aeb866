"""Turn any config into a tiny, offline, CPU run (``tools/smoke.py``, the test suite).

File-based datasets become :class:`SyntheticClsDataset` with the config's own in-memory
transforms, checkpoints and pretrained weights are dropped (nothing downloads), batches
are tiny, per-sample memories (``num_data``) shrink to the synthetic training set, and
training stops after a few iterations followed by one validation pass.
"""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config, ConfigDict

from kd_plugin.engine.stages import shorten_stages
from kd_plugin.models.distillers.classification_distiller import model_config
from .smoke_teacher import SmokeTeacherStatisticsHook  # noqa: F401 (registers it)

WEIGHT_KEYS = ('teacher_ckpt', 'pretrained', 'checkpoint_path')


def inline_models(model_cfg: dict) -> None:
    """Replace the teacher / student given as model config files by their model dicts,
    so that what they load (checkpoints, pretrained weights) can be seen and dropped."""
    for role in ('teacher', 'student'):
        if isinstance(model_cfg.get(role), str):
            model_cfg[role] = model_config(model_cfg[role])


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


def _synthetic(dataset: dict, num_samples: int, num_classes: int,
               image_size: int) -> dict:
    """Replace the innermost file-based dataset, keeping wrappers and the pipeline."""
    if isinstance(dataset.get('dataset'), dict):
        inner = _synthetic(dataset['dataset'], num_samples, num_classes, image_size)
        return dict(dataset, dataset=inner)
    if isinstance(dataset.get('datasets'), (list, tuple)):  # ConcatDataset
        share = max(1, num_samples // len(dataset['datasets']))
        return dict(
            dataset,
            datasets=[
                _synthetic(part, share, num_classes, image_size)
                for part in dataset['datasets']
            ])
    pipeline = [
        step for step in dataset.get('pipeline', [])
        if not str(step.get('type', '')).startswith('Load')
    ]
    for step in pipeline:
        if 'num_draws' in step:  # fixed crops per image: one keeps a smoke cache small
            step['num_draws'] = 1
    return dict(
        type='SyntheticClsDataset',
        num_samples=num_samples,
        num_classes=num_classes,
        image_size=image_size,
        pipeline=pipeline)


def fit_per_sample_memory(node, num_samples: int) -> None:
    """Lower every ``num_data`` above ``num_samples`` in a model config to
    ``num_samples``.

    A loss that keeps one memory row per training sample is given the training-set size
    as ``num_data`` (CRD's two banks: 51 MB on CIFAR-100, 1.3 GB for ImageNet's 1281167
    images) and refuses dataset indices beyond it; the smoke training set has
    ``num_samples`` images, so that many rows hold every index a smoke run draws. Keyed on
    the argument name, whatever the loss.

    ``num_negatives`` (the loss's ``K``, equal to the ``ContrastiveIndexDataset``
    wrapper's) stays: the wrapper draws with replacement when ``K`` exceeds the samples
    of other classes, so any ``K`` fits the synthetic set; and ``tools/benchmark.py``
    takes its batch from :func:`smoke_config` but its model from the unconverted config,
    whose ``K`` the batch must keep matching.
    """
    if isinstance(node, dict):
        value = node.get('num_data')
        if isinstance(value, int) and not isinstance(value, bool) and value > num_samples:
            node['num_data'] = num_samples
        children = node.values()
    elif isinstance(node, (list, tuple)):
        children = node
    else:
        return
    for child in children:
        fit_per_sample_memory(child, num_samples)


def find_num_classes(cfg: Config) -> int:
    for source in (cfg.get('data_preprocessor') or {}, cfg.model.get('data_preprocessor')
                   or {}):
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
    raise ValueError(
        'Cannot tell the number of classes: set data_preprocessor.num_classes')


def smoke_config(cfg: Config,
                 iters: int = 2,
                 batch_size: int = 2,
                 image_size: Optional[int] = None,
                 work_dir: Optional[str] = None) -> Config:
    """A copy of ``cfg`` that trains ``iters`` iterations then validates, offline, on
    CPU. The synthetic images are ``image_size`` pixels square; by default as large as
    the distiller's ``shape_probe`` input (the one its models are built for), else 32."""
    cfg = SmokeConfig(copy.deepcopy(cfg.to_dict()), filename=cfg.filename)
    inline_models(cfg.model)
    num_classes = find_num_classes(cfg)
    if image_size is None:
        image_size = (cfg.model.get('shape_probe') or (32, ))[-1]
    _strip_weights(cfg.model)
    if cfg.get('train_dataloader'):
        fit_per_sample_memory(cfg.model, iters * batch_size)
    for split, size in (('train_dataloader', iters * batch_size),
                        ('val_dataloader', batch_size), ('test_dataloader', batch_size)):
        loader = cfg.get(split)
        if not loader:
            continue
        loader.dataset = _synthetic(loader.dataset, size, num_classes, image_size)
        loader.update(
            batch_size=batch_size,
            num_workers=0,
            persistent_workers=False,
            pin_memory=False)
    train_cfg = cfg.get('train_cfg') or ConfigDict(by_epoch=True)
    if train_cfg.get('type') == 'IterBasedTrainLoop' or train_cfg.get(
            'by_epoch') is False:
        train_cfg.update(max_iters=iters, val_interval=iters)
    else:
        # One epoch per training stage, then one as configured: every boundary is crossed.
        train_cfg.update(max_epochs=1 + shorten_stages(cfg), val_interval=1)
    cfg.train_cfg = train_cfg
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.pop('visualization', None)
    cfg.custom_hooks = list(cfg.get('custom_hooks')
                            or []) + [dict(type='SmokeTeacherStatisticsHook')]
    cfg.load_from, cfg.resume, cfg.launcher = None, False, 'none'
    cfg.randomness = dict(seed=0)
    cfg.env_cfg = dict(cfg.get('env_cfg') or {}, dist_cfg=dict(backend='gloo'))
    if cfg.get('optim_wrapper', {}).get('type') == 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'OptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
    if work_dir is not None:
        cfg.work_dir = work_dir
    return cfg


def build_smoke_teacher_cache(cfg: Config) -> None:
    """Give a smoke run of a config with a ``teacher_cache`` the cache it reads.

    The config names a cache built over the real training set; the smoke run trains on
    synthetic images, so its cache is built over those, into the run's work dir, from
    the teacher's (random) weights, as ``tools/build_teacher_cache.py`` would; a cache
    left there by another smoke run is replaced.
    """
    if not cfg.model.get('teacher_cache'):
        return
    from kd_plugin.apis.teacher_cache import build_teacher_cache
    cfg.model.teacher_cache = osp.join(cfg.work_dir, 'smoke_teacher_cache.pth')
    build_teacher_cache(cfg, cfg.model.teacher_cache, progress=False, overwrite=True)


class SmokeConfig(Config):
    """A config whose text is not rendered.

    The runner formats the whole config five times per run (log, dump, checkpoint meta,
    message hub, visualizer), seconds each with yapf for configs with two models: the
    bulk of a smoke run. Smoke runs never read that text, so :func:`smoke_config`
    returns this class, whose ``pretty_text`` is a fixed line.
    """

    @property
    def pretty_text(self) -> str:
        return '# (config text not rendered in smoke runs)'
