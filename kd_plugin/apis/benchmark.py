"""Measure what distillation costs on top of training the student alone.

``tools/benchmark.py`` is the command line; :func:`run_benchmark` does the work. From one
config it builds the distiller (checkpoints and pretrained weights dropped, as smoke runs
do: nothing downloads) and one synthetic batch made by the config's own training
pipeline and data preprocessor, then times three variants **in one process,
interleaved** (one step of each per round, the order rotating every round, so that drift
and other jobs on the machine hit all of them alike):

* ``student``: the student's training step alone (``mode='loss'``, backward, SGD step);
* ``teacher``: the teacher's forward alone (``no_grad``, ``eval()``);
* ``distill``: the full distillation step (distiller ``mode='loss'``, sum of the loss
  terms, backward, SGD step over the distiller's trainable parameters);
* ``cached`` (when the config can use a teacher-output cache, see :func:`cache_status`):
  the same step of the distiller with a ``teacher_cache`` and the same student weights,
  whose
  ``logits_t`` are looked up in an in-memory fp16 cache of (batch, views, classes) random
  logits by ``sample_idx`` / ``view_id`` instead of running the teacher: the student
  step plus the cache lookup.

Reported per variant: median seconds per step and images/s; overall the ratios
``cached / student`` and ``distill / (student + teacher)`` (about 1 when distillation adds
nothing but the teacher
forward); and the peak memory of each variant, measured in a fresh subprocess per variant
(see :func:`measure_memory`). The data pipeline and preprocessor run once, outside the
timings, for every variant alike.
"""
import contextlib
import copy
import ctypes
import datetime
import gc
import json
import math
import os
import os.path as osp
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from kd_plugin import datasets, engine, models  # noqa: F401  (registration)
from kd_plugin.apis.teacher_cache import runner_model_cfg
from kd_plugin.models.distillers import CachedTeacher
from kd_plugin.models.distillers.classification_distiller import (
    num_classes_of,
    precision_context,
)
from kd_plugin.utils.teacher_cache import FORMAT, TeacherCache
from kd_plugin.utils.vocabulary import input_owner

BASE_VARIANTS = ('student', 'teacher', 'distill')
VARIANTS = BASE_VARIANTS + ('cached', )
MEMORY_METHOD = {
    'cpu': ('peak RSS growth over the RSS before the first step (after gc and '
            'malloc_trim), sampled every 1 ms from /proc/self/statm during warm-up + '
            'timed steps, one fresh subprocess per variant'),
    'cuda': ('torch.cuda.max_memory_allocated() after reset_peak_memory_stats(), minus '
             'the memory allocated before the first step, one fresh subprocess per '
             'variant'),
}
# Where a pipeline says which size it produces (crop / resize transforms).
_SIZE_KEYS = ('crop_size', 'scale')


# --------------------------------------------------------------------------- set-up
def load_config(config: str,
                channels_last: bool = False,
                cfg_options: Optional[dict] = None):
    """The config with weights dropped (as smoke runs do); ``channels_last`` turns the
    distiller's option on; ``cfg_options`` are merged as ``--cfg-options`` would."""
    from mmengine.config import Config

    from .smoke import _strip_weights, inline_models
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    inline_models(cfg.model)
    _strip_weights(cfg.model)
    if channels_last:
        cfg.model.channels_last = True
    return cfg


def default_source_size(config: str) -> int:
    """Synthetic image size fed to the pipeline: 224 for ImageNet configs, else 32."""
    return 224 if 'in1k' in osp.basename(config) or 'imagenet' in config.lower() else 32


def build_model(cfg, device: str) -> nn.Module:
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    init_default_scope('mmpretrain')
    # As the runner builds it (the config's data_preprocessor included); a cached
    # config's own cache file is not needed: the cached variant gets an in-memory one
    # (cached_teacher_model).
    model = MODELS.build(runner_model_cfg(copy.deepcopy(cfg)))
    if getattr(model, 'teacher', None) is None:
        raise ValueError('The config has no teacher: nothing to compare the distillation '
                         'step with.')
    return model.to(device).train()


def synthetic_batch(cfg, model: nn.Module, config: str, batch_size: int,
                    image_size: Optional[int], device: str) -> Tuple[dict, int]:
    """One batch made by the config's training pipeline from synthetic images, then
    the distiller's data preprocessor (normalisation, batch augments, views).

    Images are generated at 224 px (ImageNet configs) or 32 px (others); the pipeline's
    crops decide the size the models see, unless ``image_size`` is given, in which case
    the pipeline's outputs are resized to it. Returns the batch and the image size.
    """
    import torch.nn.functional as F
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import DATASETS

    from .smoke import smoke_config
    source = image_size or default_source_size(config)
    scfg = smoke_config(cfg, iters=1, batch_size=batch_size, image_size=source)
    dataset = DATASETS.build(scfg.train_dataloader.dataset)
    torch.manual_seed(0)
    data = pseudo_collate([dataset[i] for i in range(batch_size)])

    def resize(image: torch.Tensor) -> torch.Tensor:
        if image_size is None or tuple(image.shape[-2:]) == (image_size, image_size):
            return image
        resized = F.interpolate(
            image[None].float(),
            size=(image_size, image_size),
            mode='bilinear',
            align_corners=False)[0]
        return resized.round().clamp(0, 255).to(image.dtype)

    inputs = data['inputs']
    if inputs and isinstance(inputs[0], (list, tuple)):  # MultiView: V lists of B images
        data['inputs'] = [[resize(img) for img in view] for view in inputs]
        first = data['inputs'][0][0]
    else:
        data['inputs'] = [resize(img) for img in inputs]
        first = data['inputs'][0]
    model.data_preprocessor.to(device)
    with torch.no_grad():
        batch = model.data_preprocessor(data, training=True)
    return batch, int(first.shape[-1])


def data_step(cfg, model: nn.Module, config: str, batch_size: int,
              image_size: Optional[int]) -> Callable[[], float]:
    """One batch of the config's training data made in this process, as a DataLoader
    worker and the runner would (pipeline, ``pseudo_collate``, the data preprocessor):
    a step that returns the batch's mean input."""
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import DATASETS

    from .smoke import smoke_config
    source = image_size or default_source_size(config)
    scfg = smoke_config(cfg, iters=4, batch_size=batch_size, image_size=source)
    dataset = DATASETS.build(scfg.train_dataloader.dataset)
    preprocessor = model.data_preprocessor
    order = iter(range(10**9))

    def step() -> float:
        indices = [next(order) % len(dataset) for _ in range(batch_size)]
        with torch.no_grad():
            batch = preprocessor(pseudo_collate([dataset[i] for i in indices]), True)
        return float(batch['inputs'].float().mean())

    return step


def runner_overhead(config: str,
                    batch_size: int,
                    iters: int,
                    cfg_options: Optional[dict] = None) -> float:
    """Median seconds per training iteration of MMEngine's runner on the config
    (synthetic data, the config's hooks and logging interval), without the time spent
    waiting for data: ``time - data_time`` of ``IterTimerHook`` after two warm-up
    iterations."""
    import tempfile

    from mmengine.config import Config
    from mmengine.runner import Runner

    from .smoke import smoke_config
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    logger = copy.deepcopy(cfg.default_hooks.get('logger'))
    with tempfile.TemporaryDirectory() as work_dir:
        scfg = smoke_config(
            cfg,
            iters=iters + 2,
            batch_size=batch_size,
            image_size=default_source_size(config),
            work_dir=work_dir)
        scfg.default_hooks.logger = logger
        scfg.val_cfg = scfg.val_dataloader = scfg.val_evaluator = None
        scfg.train_cfg.pop('val_interval', None)
        runner = Runner.from_cfg(scfg)
        runner.train()
        times = runner.message_hub.get_scalar('train/time').data[0]
        data_times = runner.message_hub.get_scalar('train/data_time').data[0]
    compute = [t - d for t, d in zip(times[2:], data_times[2:])]
    return statistics.median(compute)


def _optimizer(cfg, params: List[nn.Parameter]) -> torch.optim.Optimizer:
    """SGD with the config's lr / momentum / weight decay where it has them."""
    opt = dict((cfg.get('optim_wrapper') or {}).get('optimizer') or {})
    if opt.get('type') not in (None, 'SGD'):
        opt = {}
    return torch.optim.SGD(
        params,
        lr=opt.get('lr', 0.01),
        momentum=opt.get('momentum', 0.9),
        weight_decay=opt.get('weight_decay', 0.0))


def _sum_losses(losses: dict) -> torch.Tensor:
    """Sum the entries MMEngine sums (keys containing 'loss')."""
    total = 0.
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        if isinstance(value, (list, tuple)):
            value = sum(v.mean() for v in value)
        total = total + value.mean()
    return total


def cached_teacher_model(cfg, model: nn.Module, samples: list, device: str):
    """The distiller of ``cfg`` with a ``teacher_cache``: ``model``'s student weights and
    an
    in-memory fp16 cache of random logits, (batch, views, classes), and copies of
    ``samples`` with ``sample_idx`` 0..B-1 and random ``view_id``."""
    from mmpretrain.registry import MODELS

    num_classes = num_classes_of(model.teacher, 'teacher')
    num_views = _num_views(cfg)
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(len(samples), num_views, num_classes, generator=generator) *
              3).half()
    views = torch.randint(
        0, num_views, (len(samples), ), generator=generator)
    data = dict(
        format=FORMAT,
        num_samples=len(samples),
        num_views=num_views,
        num_classes=num_classes,
        topk=0,
        logits=logits)
    boxes = [sample.get('crop_box') for sample in samples]
    if all(box is not None for box in boxes):
        # The boxes the pipeline recorded, so that the step also times their check.
        data['crop_boxes'] = torch.zeros(
            len(samples), num_views // 2, 4, dtype=torch.int32)
        for index, box in enumerate(boxes):
            data['crop_boxes'][index, views[index] // 2] = torch.as_tensor(box)
    cached = MODELS.build(
        dict(runner_model_cfg(copy.deepcopy(cfg)), teacher_cache=TeacherCache(data)))
    cached.student.load_state_dict(model.student.state_dict())
    cached_samples = copy.deepcopy(samples)
    for index, sample in enumerate(cached_samples):
        sample.set_metainfo(dict(sample_idx=index, view_id=int(views[index])))
    return cached.to(device).train(), cached_samples


def _num_views(cfg) -> int:
    """Crops x 2 flips of the training pipeline: 162 for CIFAR's padded crop,
    ``2 * num_draws`` for ``RecordedRandomResizedCrop``."""
    for transform in cfg.train_dataloader.dataset.get('pipeline') or []:
        if transform.get('type') == 'RecordedRandomResizedCrop':
            return 2 * int(transform.get('num_draws', 10))
        padding = transform.get('padding')
        if transform.get('type') in ('RandomCrop', 'RecordedRandomCrop') and isinstance(
                padding, int):
            return (2 * padding + 1)**2 * 2
    return 2


def make_steps(cfg,
               model: nn.Module,
               batch: dict,
               device: str,
               amp: bool,
               cached: bool = False) -> Tuple[Dict[str, Callable[[], float]], object]:
    """One callable per variant; each runs one step and returns a scalar to check.
    ``cached``: add the ``cached`` variant (a config that can use a cache only)."""
    inputs, samples = batch['inputs'], batch['data_samples']
    num_views = inputs.shape[0] // len(samples)
    student_inputs = model.format_inputs(
        inputs.chunk(num_views)[0] if num_views > 1 else inputs)
    dtype = torch.float16 if device.startswith('cuda') else torch.bfloat16
    device_type = 'cuda' if device.startswith('cuda') else 'cpu'

    def autocast():
        return (torch.autocast(device_type, dtype=dtype)
                if amp else contextlib.nullcontext())

    use_scaler = amp and device_type == 'cuda'
    scalers = {
        name: torch.amp.GradScaler('cuda') if use_scaler else None
        for name in ('student', 'distill')
    }
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizers = dict(
        student=_optimizer(cfg, list(model.student.parameters())),
        distill=_optimizer(cfg, trainable))

    def train_step(name: str, forward: Callable[[], dict]) -> float:
        optimizer, scaler = optimizers[name], scalers[name]
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = _sum_losses(forward())
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return float(loss.detach())

    def student_forward() -> dict:
        # In the distiller's student precision, as its step runs the student.
        with precision_context(model.student_precision, device_type):
            return model.student(student_inputs, samples, mode='loss')

    def teacher_forward() -> float:
        with torch.no_grad(), autocast():
            logits = model.run_teacher(student_inputs)
        if isinstance(logits, (list, tuple)):
            logits = logits[-1]
        return float(logits.float().abs().mean())

    steps = dict(
        student=lambda: train_step('student', student_forward),
        teacher=teacher_forward,
        distill=lambda: train_step('distill', lambda: model(inputs, samples, mode='loss')
                                   ),
    )
    if cached:
        cached_model, cached_samples = cached_teacher_model(cfg, model, samples, device)
        optimizers['cached'] = _optimizer(
            cfg, [p for p in cached_model.parameters() if p.requires_grad])
        scalers['cached'] = torch.amp.GradScaler('cuda') if use_scaler else None
        steps['cached'] = lambda: train_step(
            'cached', lambda: cached_model(inputs, cached_samples, mode='loss'))
    return steps, optimizers


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


# ------------------------------------------------------------------------- timings
def time_interleaved(steps: Dict[str, Callable[[], float]], iters: int, warmup: int,
                     device: str) -> Tuple[Dict[str, List[float]], ...]:
    """Round-robin: one step of every variant per round, the order rotating each round.

    Returns per-variant wall-clock and process CPU times (timed rounds only) and the
    scalars every step returned (all rounds), for the finiteness check. On a shared
    machine the CPU time is the steadier of the two (it leaves out time spent waiting
    for a core), but it counts every thread: it is not a wall time when torch runs
    several threads.
    """
    names = list(steps)
    times = {name: [] for name in names}
    cpu_times = {name: [] for name in names}
    values = {name: [] for name in names}
    for round_ in range(warmup + iters):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            _sync(device)
            start, cpu_start = time.perf_counter(), time.process_time()
            values[name].append(steps[name]())
            _sync(device)
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
                cpu_times[name].append(time.process_time() - cpu_start)
    return times, cpu_times, values


# -------------------------------------------------------------------------- memory
def _rss_bytes() -> int:
    with open('/proc/self/statm') as statm:
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def _malloc_trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL('libc.so.6').malloc_trim(0)


class _RssSampler:
    """Peak resident set size, sampled in a background thread."""

    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(self.period)

    def __enter__(self) -> '_RssSampler':
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def memory_worker(spec: dict) -> dict:
    """Run one variant alone (fresh process) and return its peak memory growth in MiB."""
    torch.manual_seed(0)
    device = spec['device']
    cfg = load_config(spec['config'], spec['channels_last'], spec.get('cfg_options'))
    model = build_model(cfg, device)
    batch, _ = synthetic_batch(cfg, model, spec['config'], spec['batch_size'],
                               spec['image_size'], device)
    steps, _ = make_steps(
        cfg, model, batch, device, spec['amp'], cached=spec['variant'] == 'cached')
    step = steps[spec['variant']]
    rounds = max(1, spec['iters'])
    gc.collect()
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        for _ in range(rounds):
            step()
        torch.cuda.synchronize(device)
        growth = torch.cuda.max_memory_allocated(device) - base
    elif osp.exists('/proc/self/statm'):
        _malloc_trim()
        base = _rss_bytes()
        with _RssSampler() as sampler:
            for _ in range(rounds):
                step()
        growth = sampler.peak - base
    else:  # no /proc: the high-water mark of the process (kB on Linux, bytes on macOS)
        unit = 1 if sys.platform == 'darwin' else 1024
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
        for _ in range(rounds):
            step()
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit - base
    return dict(peak_mib=growth / 2**20)


MEMORY_WORKER = ('import json, sys; from kd_plugin.apis.benchmark import memory_worker; '
                 'print(json.dumps(memory_worker(json.loads(sys.argv[1]))))')


def measure_memory(config: str,
                   variant: str,
                   batch_size: int,
                   image_size: int,
                   device: str,
                   amp: bool,
                   iters: int,
                   channels_last: bool = False,
                   cfg_options: Optional[dict] = None) -> float:
    """Peak memory growth of ``variant`` in MiB, measured in a fresh subprocess, so
    that neither the other variants nor allocations freed earlier hide it."""
    spec = dict(
        config=osp.abspath(config),
        variant=variant,
        batch_size=batch_size,
        image_size=image_size,
        device=device,
        amp=amp,
        iters=iters,
        channels_last=channels_last,
        cfg_options=cfg_options)
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [root, env.get('PYTHONPATH')]))
    env.setdefault('OMP_NUM_THREADS', str(torch.get_num_threads()))
    proc = subprocess.run([sys.executable, '-c', MEMORY_WORKER,
                           json.dumps(spec)],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=os.getcwd())
    if proc.returncode != 0:
        raise RuntimeError(f'memory measurement of {variant!r} failed:\n{proc.stderr}')
    return json.loads(proc.stdout.strip().splitlines()[-1])['peak_mib']


# -------------------------------------------------------------------------- report
def cache_status(model: nn.Module, timed: bool = False) -> dict:
    """Whether a ``teacher_cache`` can replace the teacher forward of this config, and
    whether the ``cached`` variant was timed."""
    teacher_runs = getattr(model, 'teacher_taps', None) is not None
    requested = {
        name
        for name in getattr(model, '_requested', ()) if input_owner(name) == 'teacher'
    }
    uncacheable = sorted(requested - CachedTeacher.provides)
    augments = getattr(getattr(model, 'data_preprocessor', None), 'batch_augments', None)
    if not teacher_runs and not requested:
        why = 'no loss reads a teacher output: the distiller runs no teacher forward'
    elif getattr(model, 'teacher_norm_train', False):
        why = ('teacher_norm_train: the teacher\'s BatchNorm statistics change while '
               'training, so its outputs cannot be cached')
    elif uncacheable:
        why = (f'the losses read teacher outputs a logits cache does not hold: '
               f'{uncacheable}')
    elif augments is not None:
        why = 'batch augments (Mixup/CutMix) make views that no cache holds'
    else:
        why = ('every teacher input is logits_t of a frozen teacher: '
               'a teacher_cache looks them up by (sample_idx, view_id) in a cache '
               'from tools/build_teacher_cache.py (exact for RecordedRandomCrop/Flip '
               'pipelines, consistent views for RecordedRandomResizedCrop) instead of '
               'running the teacher')
        return dict(
            applicable=True,
            status='implemented, timed'
            if timed else 'implemented, not timed (--no-cached)',
            why=why)
    return dict(applicable=False, status='not applicable', why=why)


def compiled_steps(cfg, model: nn.Module, batch: dict, device: str, amp: bool,
                   cached: bool, compile_cfg: dict) -> Tuple[dict, dict]:
    """The variants of a second distiller with ``compile=compile_cfg`` and ``model``'s
    weights, named ``<variant>_compiled``, and the seconds each one's first call took
    (it compiles the forward and, for training steps, the backward)."""
    compiled_cfg = copy.deepcopy(cfg)
    compiled_cfg.model.compile = dict(compile_cfg)
    compiled = build_model(compiled_cfg, device)
    compiled.load_state_dict(model.state_dict())
    steps, _ = make_steps(compiled_cfg, compiled, batch, device, amp, cached=cached)
    compile_s = {}
    for name, step in steps.items():
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        compile_s[f'{name}_compiled'] = time.perf_counter() - start
    return {f'{name}_compiled': step for name, step in steps.items()}, compile_s


def run_benchmark(config: str,
                  iters: int = 10,
                  warmup: int = 2,
                  batch_size: Optional[int] = None,
                  image_size: Optional[int] = None,
                  device: str = 'cpu',
                  amp: bool = False,
                  memory: bool = True,
                  cached: bool = True,
                  channels_last: bool = False,
                  compile_cfg: Optional[dict] = None,
                  cfg_options: Optional[dict] = None,
                  data: bool = False,
                  runner_iters: int = 0) -> dict:
    """Time the variants of ``config`` interleaved; return the report dict.
    ``cached``: add the ``cached`` variant where the config can use a cache;
    ``channels_last``: run with the distiller's ``channels_last`` option;
    ``compile_cfg``: also time every variant with the distiller's ``compile`` option
    (e.g. ``dict(backend='inductor')``), interleaved with the eager ones; its first
    call, which compiles, is timed apart (``compile_s``); ``cfg_options``: merged into
    the config first (e.g. ``{'model.student_precision': 'bf16'}``); ``data``: also
    time making a batch in this process (:func:`data_step`); ``runner_iters``: also
    train that many iterations through MMEngine's runner (:func:`runner_overhead`)."""
    if iters < 1 or warmup < 0:
        raise ValueError('iters must be >= 1 and warmup >= 0')
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError('--device cuda but CUDA is not available')
    torch.manual_seed(0)
    cfg = load_config(config, channels_last, cfg_options)
    batch_size = batch_size or int(cfg.train_dataloader.batch_size)
    model = build_model(cfg, device)
    batch, size = synthetic_batch(cfg, model, config, batch_size, image_size, device)
    cached = cached and cache_status(model)['applicable']
    steps, _ = make_steps(cfg, model, batch, device, amp, cached=cached)
    compile_s = {}
    if compile_cfg is not None:
        extra, compile_s = compiled_steps(cfg, model, batch, device, amp, cached,
                                          compile_cfg)
        steps.update(extra)
    if data:
        steps['data'] = data_step(cfg, model, config, batch_size, image_size)
    times, cpu_times, values = time_interleaved(steps, iters, warmup, device)

    variants = {}
    for name in steps:
        median = statistics.median(times[name])
        variants[name] = dict(
            median_s=median,
            images_per_s=batch_size / median,
            min_s=min(times[name]),
            max_s=max(times[name]),
            median_cpu_s=statistics.median(cpu_times[name]),
            finite=all(math.isfinite(v) for v in values[name]),
            last_value=values[name][-1])
        if name in compile_s:
            variants[name]['compile_s'] = compile_s[name]
    if memory:
        for name in [name for name in steps if name not in compile_s]:
            variants[name]['peak_mem_mib'] = measure_memory(
                config, name, batch_size, image_size if image_size else size, device, amp,
                warmup + 1, channels_last, cfg_options)

    def ratio_of(key: str, suffix: str = '') -> Optional[float]:
        if key not in variants.get('distill' + suffix, {}):
            return None
        return variants['distill' + suffix][key] / (
            variants['student' + suffix][key] + variants['teacher' + suffix][key])

    def compiled_over_eager(key: str) -> Dict[str, float]:
        return {
            name: variants[f'{name}_compiled'][key] / variants[name][key]
            for name in steps if f'{name}_compiled' in variants
        }

    runner_s = (
        runner_overhead(config, batch_size, runner_iters, cfg_options)
        if runner_iters and device == 'cpu' else None)
    distill_s = variants['distill']['median_s']
    return dict(
        config=config,
        date=datetime.date.today().isoformat(),
        machine=dict(
            platform=platform.platform(),
            processor=platform.processor(),
            cpu_count=os.cpu_count(),
            torch_threads=torch.get_num_threads(),
            torch=torch.__version__,
            gpu=(torch.cuda.get_device_name(device)
                 if device.startswith('cuda') else None)),
        device=device,
        amp=amp,
        channels_last=channels_last,
        amp_dtype=(None if not amp else
                   'float16' if device.startswith('cuda') else 'bfloat16'),
        batch_size=batch_size,
        image_size=size,
        num_views=(batch['inputs'].shape[0] // len(batch['data_samples'])),
        iters=iters,
        warmup=warmup,
        timing='median over the timed rounds of wall-clock (perf_counter) and process '
        'CPU time (process_time); variants interleaved round-robin in one process, '
        'order rotating each round; data pipeline excluded',
        memory_method=MEMORY_METHOD['cuda' if device.startswith('cuda') else 'cpu']
        if memory else None,
        variants=variants,
        ratio_distill_over_student_plus_teacher=ratio_of('median_s'),
        ratio_cpu_time=ratio_of('median_cpu_s'),
        # Both terms are growth over a base that holds both models' weights, so this
        # is the distill peak over (student step + teacher weights + teacher forward).
        ratio_memory=ratio_of('peak_mem_mib'),
        ratio_cached_over_student=(variants['cached']['median_s'] /
                                   variants['student']['median_s'] if cached else None),
        ratio_cached_over_student_cpu=(variants['cached']['median_cpu_s'] /
                                       variants['student']['median_cpu_s']
                                       if cached else None),
        cache=cache_status(model, timed=cached),
        losses_finite=all(v['finite'] for v in variants.values()),
        compile=compile_cfg,
        ratio_compiled_distill_over_student_plus_teacher=ratio_of(
            'median_s', '_compiled'),
        ratio_compiled_cpu_time=ratio_of('median_cpu_s', '_compiled'),
        ratio_compiled_over_eager=compiled_over_eager('median_s'),
        ratio_compiled_over_eager_cpu=compiled_over_eager('median_cpu_s'),
        ratio_data_over_distill=(variants['data']['median_s'] /
                                 distill_s if 'data' in variants else None),
        runner_iter_s=runner_s,
        ratio_runner_over_distill=runner_s / distill_s if runner_s else None,
    )


def format_table(report: dict) -> str:
    """The report as a markdown table plus a summary line."""
    mem = report['variants']['student'].get('peak_mem_mib') is not None
    head = ('| variant | median s/iter | images/s | median CPU s/iter | peak mem (MiB) '
            '| first call (compile) s | finite |')
    rule = '|---|---:|---:|---:|---:|---:|:---:|'
    rows = [head, rule]
    for name, v in report['variants'].items():
        mem_text = f"{v['peak_mem_mib']:.1f}" if mem and 'peak_mem_mib' in v else 'n/a'
        compile_text = f"{v['compile_s']:.1f}" if 'compile_s' in v else ''
        rows.append(f"| {name} | {v['median_s']:.4f} | {v['images_per_s']:.1f} | "
                    f"{v['median_cpu_s']:.4f} | {mem_text} | {compile_text} | "
                    f"{'yes' if v['finite'] else 'NO'} |")
    amp = f", amp {report['amp_dtype']}" if report['amp'] else ''
    amp += ', channels_last' if report.get('channels_last') else ''
    memory = (
        f"memory distill / (student + teacher forward) = {report['ratio_memory']:.3f}. "
        if report.get('ratio_memory') is not None else '')
    rows.append('')
    rows.append(f"`{report['config']}`: batch {report['batch_size']}, "
                f"{report['image_size']} px, {report['device']}{amp}, "
                f"{report['iters']} timed + {report['warmup']} warm-up rounds. "
                f"distill / (student + teacher) = "
                f"{report['ratio_distill_over_student_plus_teacher']:.3f} "
                f"(CPU time: {report['ratio_cpu_time']:.3f}). " + memory +
                (f"cached / student = {report['ratio_cached_over_student']:.3f} "
                 f"(CPU time: {report['ratio_cached_over_student_cpu']:.3f}). " if report.
                 get('ratio_cached_over_student') else '') +
                f"cache: {report['cache']['status']}"
                f"{' (applicable)' if report['cache']['applicable'] else ''}.")
    if report.get('ratio_data_over_distill') is not None:
        rows.append(
            'making one batch in this process (pipeline, collate, data '
            f"preprocessor) / distill step = {report['ratio_data_over_distill']:.3f}.")
    if report.get('ratio_runner_over_distill') is not None:
        rows.append("MMEngine runner's iteration without data time / distill step = "
                    f"{report['ratio_runner_over_distill']:.3f}.")
    if report.get('compile') is not None:
        eager = report['ratio_compiled_over_eager_cpu']
        rows.append(f"compile {report['compile']}: compiled / eager (CPU time) = " +
                    ', '.join(f'{name} {value:.3f}' for name, value in eager.items()) +
                    '; compiled distill / (compiled student + compiled teacher) = '
                    f"{report['ratio_compiled_cpu_time']:.3f} (CPU time).")
    return '\n'.join(rows)


def profile_distill_step(config: str,
                         batch_size: Optional[int] = None,
                         image_size: Optional[int] = None,
                         device: str = 'cpu',
                         warmup: int = 2,
                         row_limit: int = 25) -> str:
    """torch.profiler tables of one step of each variant (after warm-up)."""
    from torch.profiler import ProfilerActivity, profile
    cfg = load_config(config)
    batch_size = batch_size or int(cfg.train_dataloader.batch_size)
    model = build_model(cfg, device)
    batch, _ = synthetic_batch(cfg, model, config, batch_size, image_size, device)
    steps, _ = make_steps(cfg, model, batch, device, amp=False)
    time_interleaved(steps, 0, max(1, warmup), device)
    activities = [ProfilerActivity.CPU
                  ] + ([ProfilerActivity.CUDA] if device.startswith('cuda') else [])
    sort = 'self_cuda_time_total' if device.startswith('cuda') else 'self_cpu_time_total'
    out = []
    for name in steps:
        with profile(activities=activities) as prof:
            steps[name]()
            _sync(device)
        out.append(f'## {name}\n' +
                   prof.key_averages().table(sort_by=sort, row_limit=row_limit))
    return '\n'.join(out)
