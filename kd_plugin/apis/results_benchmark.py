"""Results of our own, on real data, for every method family (``make results``).

``tools/benchmark_results.py`` is the command line. On scikit-learn's bundled handwritten
digits (the demo's data: 500 training images, 1297 test images, 16x16), for each seed it
trains a teacher and the student alone once per pair, then distills that student from
that teacher with each method, and writes ``docs/results.md`` (mean ± std top-1 over the
seeds next to the student alone and the teacher) and a plot.

One pair for every method (:data:`PAIRS`): the CIFAR model zoo's ResNet32x4 -> ResNet8x4,
the pair every method ships a CIFAR-100 config for (the logit methods' recipes come from
it too), at the digits' scale: the same depths and module names, so every config's taps
hold, with the widths cut to 1/2 (teacher) and 1/16 (student); 20 epochs (a gap of
about 6 points). Both heads keep PyTorch's default Linear initialisation, as the zoo's
and the originals': the scale-invariant logit losses (DIST's correlations, LS-KD's
standardisation) derail a student that starts with near-zero logits. USKD
(teacher-free) trains the same student.

A method's recipe is its CIFAR-100 config (:data:`METHODS` names it): the distiller's
settings (``distill_losses``, ``student_loss_weight``, taps, teacher options), its custom
hooks, dataset wrappers and training transforms. Everything else is the demo's, for
every row alike: data, batch 32, SGD (lr 0.05, momentum 0.9, weight decay 5e-4) with a
cosine schedule, the epochs of the pair. What cannot carry over unchanged is scaled,
the same way for every method (:func:`adapt`, :func:`digits_pipeline`):

* ``num_classes`` becomes 10; per-sample memories (``num_data``) the 500 training images;
* ``num_negatives`` (CRD's K) keeps its share of the training set (16384 of 50000);
* ``*_epochs`` settings (warm-ups, curricula) keep their share of the schedule;
* ``*_sizes`` (feature-map sides) follow the image side (32 -> 16);
* ``student_channels`` / ``teacher_channels`` / ``in_channels`` follow the models'
  widths, stage by stage (e.g. the student's 256 -> 16);
* crops become the digits' ``RandomCrop(16, padding=2)``; horizontal flips are dropped
  (digits are not mirror-symmetric); other transforms (MLKD's strong view) stay.

Runs are independent processes of one torch thread each (``jobs`` at a time): a CPU
result depends on the thread count, not on which worker ran it.
"""
import copy
import datetime
import os
import os.path as osp
import platform
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict

from kd_plugin.apis.analysis import MeanStd, read_scalars, val_history

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DIGITS_DISTILL = 'configs/demo/kd_resnet18w16_resnet18w1_1xb32_digits.py'
DIGITS_ALONE = 'configs/demo/demo_student_resnet18w1_digits.py'
SOURCE_TRAIN_SIZE = 50000  # CIFAR-100's training set, where every recipe comes from
SOURCE_IMAGE_SIZE = 32
IMAGE_SIZE = 16
NUM_CLASSES = 10
DIGITS_IMAGES = 1797
THREADS = 1


@dataclass(frozen=True)
class Pair:
    """A teacher -> student pair trained on the digits, and its schedule."""
    key: str
    teacher_name: str  # in config names: <method>_<teacher>_<student>_1xb32_digits
    student_name: str
    teacher_title: str
    student_title: str
    teacher: str  # model configs: ``path.py`` or ``path.py:variable``
    student: str
    epochs: int  # of the teacher, the student alone and every distilled student
    teacher_channels: Optional[Tuple[int,
                                     ...]] = None  # backbone widths, if not the file's
    student_channels: Optional[Tuple[int, ...]] = None

    @property
    def name(self) -> str:
        return f'{self.teacher_name}_{self.student_name}'

    @property
    def title(self) -> str:
        return f'{self.teacher_title} -> {self.student_title}'


# The CIFAR zoo's ResNet32x4 -> ResNet8x4 at the digits' scale: depths kept (so every
# config's taps hold), widths (stem, stages) cut to 1/2 and 1/16. 20 epochs: a gap of
# about 6 points (the student alone reaches about 96.5 in 30).
ZOO_PAIR = Pair(
    'zoo',
    'resnet32x4-half',
    'resnet8x4-sixteenth',
    'ResNet32x4 at 1/2 width',
    'ResNet8x4 at 1/16 width',
    'configs/_base_/models/cifar/resnet32x4.py',
    'configs/_base_/models/cifar/resnet8x4.py',
    20,
    teacher_channels=(16, 32, 64, 128),
    student_channels=(2, 4, 8, 16))
PAIRS = {ZOO_PAIR.key: ZOO_PAIR}


@dataclass(frozen=True)
class Method:
    """A row: the method's name, its config folder, the CIFAR-100 config its recipe
    comes from, and the pair it runs on."""
    name: str
    folder: str
    source: str
    pair: str


def _row(name: str, folder: str, source_pair: str = 'resnet32x4_resnet8x4') -> Method:
    return Method(name, folder,
                  f'configs/{folder}/{folder}_{source_pair}_1xb64_cifar100.py',
                  ZOO_PAIR.key)


METHODS = [
    _row('KD', 'kd'),
    _row('DKD', 'dkd'),
    _row('DIST', 'dist'),
    _row('NKD', 'nkd', 'resnet32x4_shufflev1'),
    _row('MLKD (two views)', 'mlkd'),
    _row('CTKD', 'ctkd', 'wrn_40_2_wrn_16_2'),
    _row('LS-KD', 'lskd'),
    _row('WSLD', 'wsld'),
    _row('SD-KD', 'sdd'),
    _row('EDKD', 'edkd'),
    _row('Energy KD', 'energykd'),
    _row('SKD', 'skd'),
    _row('CLKD', 'clkd'),
    _row('ER-KD', 'erkd'),
    _row('FitNet', 'fitnet'),
    _row('AT', 'at'),
    _row('SP', 'sp'),
    _row('RKD', 'rkd'),
    _row('PKT', 'pkt'),
    _row('VID', 'vid'),
    _row('NST', 'nst'),
    _row('CRD', 'crd'),
    _row('OFD', 'ofd'),
    _row('ReviewKD', 'reviewkd'),
    _row('MGD', 'mgd'),
    _row('SRRL', 'srrl'),
    _row('FCFD', 'fcfd'),
    _row('CC', 'cc'),
    _row('KD-SVD', 'kdsvd'),
    # Teacher-free, on the pair's student.
    Method('USKD (no teacher)', 'uskd', 'configs/uskd/uskd_resnet8x4_1xb64_cifar100.py',
           ZOO_PAIR.key),
]
METHODS_BY_FOLDER = {method.folder: method for method in METHODS}
# Distiller settings that belong to the pair or the run, not to the method's recipe.
NOT_RECIPE = ('type', 'teacher', 'student', 'teacher_ckpt', 'student_ckpt',
              'data_preprocessor', 'teacher_cache', 'shape_probe')


def model_of(spec: str, channels: Optional[Sequence[int]] = None) -> dict:
    """A classifier config from ``path.py`` or ``path.py:variable``, for 10 classes;
    ``channels``: its backbone's stem and stage widths instead of the file's."""
    from kd_plugin.models.distillers.classification_distiller import model_config
    path, _, variable = spec.partition(':')
    if variable:
        model = copy.deepcopy(Config.fromfile(osp.join(ROOT, path))[variable].to_dict())
    else:
        model = copy.deepcopy(model_config(osp.join(ROOT, path)))
    model = dict(model)
    model['head'] = dict(model['head'], num_classes=NUM_CLASSES)
    if channels:
        model['backbone'] = dict(model['backbone'], channels=tuple(channels))
        model['head']['in_channels'] = channels[-1]
    return model


def channel_map(source_model, model: dict) -> Optional[Dict[int, int]]:
    """Source widths -> the pair's, stage by stage, when both backbones list their
    ``channels`` (None otherwise: a recipe naming a width cannot be carried over)."""
    from kd_plugin.models.distillers.classification_distiller import model_config
    if isinstance(source_model, str):
        source_model = model_config(source_model)
    old = (source_model or {}).get('backbone', {}).get('channels')
    new = model.get('backbone', {}).get('channels')
    if not old or not new or len(old) != len(new):
        return None
    return dict(zip(old, new))


@dataclass(frozen=True)
class Scaling:
    """What the digits change in a CIFAR-100 recipe (see :func:`adapt`)."""
    epochs: int
    source_epochs: int
    num_train: int
    student_channels: Optional[Dict[int, int]] = None  # source width -> the pair's
    teacher_channels: Optional[Dict[int, int]] = None


# Loss settings that name a model's width, and whose widths they are.
CHANNEL_KEYS = {
    'student_channels': 'student_channels',
    'teacher_channels': 'teacher_channels',
    'in_channels': 'student_channels',  # USKD: the student's second-to-last stage
}


def adapt(node, scaling: Scaling):
    """The digits' values of a recipe's settings that depend on the data, the schedule
    or the models' widths; recursive over dicts and lists, returns a new object.

    ``num_classes`` -> 10; ``num_data`` (per-sample memories) -> the training set;
    ``num_negatives`` keeps its share of the training set; ``*_epochs`` keep their share
    of the schedule; ``*_sizes`` (feature-map sides) follow the image side;
    ``student_channels`` / ``teacher_channels`` / ``in_channels`` follow the models'
    widths, stage by stage.
    """
    if isinstance(node, (list, tuple)):
        return type(node)(adapt(value, scaling) for value in node)
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if key == 'num_classes' and is_int:
            value = NUM_CLASSES
        elif key == 'num_data' and is_int:
            value = scaling.num_train
        elif key == 'num_negatives' and is_int:
            value = max(1, round(value * scaling.num_train / SOURCE_TRAIN_SIZE))
        elif key.endswith('_epochs') and is_int:
            value = max(1, round(value * scaling.epochs / scaling.source_epochs))
        elif key.endswith('_sizes') and isinstance(value, (list, tuple)):
            value = type(value)(side * IMAGE_SIZE // SOURCE_IMAGE_SIZE for side in value)
        elif key in CHANNEL_KEYS and (is_int or isinstance(value, (list, tuple))):
            value = _widths(key, value, getattr(scaling, CHANNEL_KEYS[key]))
        else:
            value = adapt(value, scaling)
        out[key] = value
    return out


def _widths(key: str, value, widths: Optional[Dict[int, int]]):
    if widths is None or any(width not in widths for width in _as_list(value)):
        raise ValueError(
            f'{key}={value!r}: the pair\'s widths for it are unknown (source '
            f'width -> digits width: {widths})')
    if isinstance(value, int):
        return widths[value]
    return type(value)(widths[width] for width in value)


def _as_list(value) -> list:
    return [value] if isinstance(value, int) else list(value)


def digits_pipeline(pipeline: Sequence[dict], crop: dict) -> List[dict]:
    """A CIFAR training pipeline for the digits: crops become ``crop``, flips and
    loading steps go, ``MultiView`` branches are converted, the rest stays."""
    out = []
    for step in pipeline:
        kind = step['type']
        if kind == 'RandomCrop':
            out.append(dict(crop))
        elif kind == 'RandomFlip' or kind.startswith('Load'):
            continue
        elif kind == 'MultiView':
            out.append(
                dict(
                    step,
                    transforms=[digits_pipeline(t, crop) for t in step['transforms']]))
        elif kind in ('RandomResizedCrop', 'Resize', 'ResizeEdge', 'CenterCrop'):
            raise ValueError(
                f'{kind} has no digits equivalent in the benchmark; only '
                'CIFAR-style pipelines (RandomCrop, RandomFlip, ...) convert')
        else:
            out.append(dict(step))
    return out


def digits_dataset(source: dict, digits: dict, crop: dict, scaling: Scaling) -> dict:
    """``source``'s training dataset with each file dataset replaced by the digits (its
    pipeline converted) and wrappers kept (``ContrastiveIndexDataset``,
    ``ConcatDataset``)."""
    if isinstance(source.get('dataset'), dict):
        inner = digits_dataset(source['dataset'], digits, crop, scaling)
        wrapper = adapt({
            key: value
            for key, value in source.items() if key != 'dataset'
        }, scaling)
        return dict(wrapper, dataset=inner)
    if isinstance(source.get('datasets'), (list, tuple)):
        parts = [
            digits_dataset(part, digits, crop, scaling) for part in source['datasets']
        ]
        return dict(source, datasets=parts)
    return dict(
        digits,
        num_train=scaling.num_train,
        pipeline=digits_pipeline(source.get('pipeline', []), crop))


@dataclass(frozen=True)
class Job:
    """One training run: a teacher, a student alone or a distilled student."""
    kind: str  # 'teacher' | 'student' | 'method'
    pair: str
    seed: int
    method: Optional[str] = None  # folder name, for kind == 'method'

    @property
    def label(self) -> str:
        return self.method if self.kind == 'method' else self.kind

    def work_dir(self, root: str) -> str:
        return osp.join(root, self.pair, self.label, f'seed{self.seed}')

    def needs_teacher(self) -> bool:
        if self.kind != 'method':
            return False
        source = Config.fromfile(osp.join(ROOT, METHODS_BY_FOLDER[self.method].source))
        return source.model.get('teacher') is not None


def config_name(job: Job) -> str:
    """``<method | teacher | student>_<archs>_1xb32_digits.py``."""
    pair = PAIRS[job.pair]
    if job.kind == 'method':
        return f'{job.method}_{pair.name}_1xb32_digits.py'
    name = pair.teacher_name if job.kind == 'teacher' else pair.student_name
    return f'{job.kind}_{name}_1xb32_digits.py'


def _finish(cfg: Config, job: Job, root: str, epochs: int, num_train: int) -> Config:
    """Schedule, seed, hooks and names shared by every run."""
    cfg.work_dir = job.work_dir(root)
    cfg.experiment_name = unique_experiment_name(f'{job.pair}_{job.label}', job.seed)
    cfg.randomness = dict(seed=job.seed, deterministic=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
    cfg.val_dataloader.dataset.num_train = num_train
    cfg.test_dataloader = cfg.val_dataloader
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    if job.kind == 'teacher':  # the distilled students load its last checkpoint
        cfg.default_hooks.checkpoint.update(
            interval=epochs, max_keep_ckpts=1, save_best=None, save_last=True)
    else:
        cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    return cfg


def job_config(job: Job,
               root: str,
               epochs: Optional[int] = None,
               num_train: int = 500,
               teacher_ckpt: Optional[str] = None) -> Config:
    """The config of ``job`` (see the module docstring); ``epochs`` overrides the
    pair's."""
    pair = PAIRS[job.pair]
    epochs = epochs or pair.epochs
    teacher = model_of(pair.teacher, pair.teacher_channels)
    student = model_of(pair.student, pair.student_channels)
    if job.kind in ('teacher', 'student'):
        cfg = Config.fromfile(osp.join(ROOT, DIGITS_ALONE))
        cfg.model = teacher if job.kind == 'teacher' else student
        cfg.train_dataloader.dataset.num_train = num_train
        return _finish(cfg, job, root, epochs, num_train)

    method = METHODS_BY_FOLDER[job.method]
    if method.pair != job.pair:
        raise ValueError(f'{method.folder} runs on the {method.pair!r} pair, not '
                         f'{job.pair!r}')
    source = Config.fromfile(osp.join(ROOT, method.source))
    cfg = Config.fromfile(osp.join(ROOT, DIGITS_DISTILL))
    teacher_free = source.model.get('teacher') is None
    scaling = Scaling(
        epochs=epochs,
        source_epochs=source.train_cfg.max_epochs,
        num_train=num_train,
        student_channels=channel_map(source.model.get('student'), student),
        teacher_channels=None if teacher_free else channel_map(
            source.model.get('teacher'), teacher))
    model = dict(
        type='ClassificationDistiller',
        student=student,
        teacher=None if teacher_free else teacher,
        teacher_ckpt=None if teacher_free else teacher_ckpt)
    for key, value in source.model.items():
        if key not in NOT_RECIPE:
            model[key] = adapt(copy.deepcopy(value), scaling)
    if source.model.get('shape_probe') and not teacher_free:
        model['shape_probe'] = (3, IMAGE_SIZE, IMAGE_SIZE)
    cfg.model = ConfigDict(model)
    digits = cfg.train_dataloader.dataset.to_dict()
    crop = next(step for step in digits['pipeline'] if step['type'] == 'RandomCrop')
    cfg.train_dataloader.dataset = digits_dataset(
        source.train_dataloader.dataset.to_dict(), digits, crop, scaling)
    source_preprocessor = source.get('data_preprocessor') or {}
    if source_preprocessor.get('type'):
        cfg.data_preprocessor.type = source_preprocessor['type']
    cfg.custom_hooks = copy.deepcopy(source.get('custom_hooks') or [])
    return _finish(cfg, job, root, epochs, num_train)


def unique_experiment_name(name: str, seed: int) -> str:
    """``name``, the seed and the second: MMEngine names a run's visualizer after its
    config and the second it started, so two short runs of one config in a process
    within a second would share the first one's and write their scalars into its
    folder."""
    return f'{name}_seed{seed}_{datetime.datetime.now():%Y%m%d_%H%M%S}'


def fix_threads(threads: int = THREADS) -> None:
    """One torch thread (OpenMP and MKL included): results depend on the count."""
    import torch
    for variable in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[variable] = str(threads)
    torch.set_num_threads(threads)


def teacher_checkpoint(work_dir: str, epochs: int) -> str:
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def finished(job: Job, root: str, epochs: int) -> Optional[dict]:
    """The result of an earlier run of ``job`` that reached its last validation (and,
    for a teacher, left its checkpoint), or None."""
    work_dir = job.work_dir(root)
    try:
        history = val_history(read_scalars(work_dir))
    except FileNotFoundError:
        return None
    if not history or history[-1][0] != epochs:
        return None
    if job.kind == 'teacher' and not osp.isfile(teacher_checkpoint(work_dir, epochs)):
        return None
    return dict(top1=history[-1][1], seconds=None, work_dir=work_dir)


def run_job(job: Job,
            root: str,
            epochs: Optional[int] = None,
            num_train: int = 500,
            teacher_ckpt: Optional[str] = None) -> dict:
    """Train ``job`` in this process on one torch thread; its last test top-1."""
    fix_threads()
    from mmengine.runner import Runner

    from kd_plugin import datasets, engine, models  # noqa: F401  (registration)
    from kd_plugin.apis.config_text import RenderedOnceConfig
    epochs = epochs or PAIRS[job.pair].epochs
    cfg = job_config(job, root, epochs, num_train, teacher_ckpt)
    # Written first, under its own name: the work dir keeps a config tools/train.py runs.
    os.makedirs(cfg.work_dir, exist_ok=True)
    path = osp.join(cfg.work_dir, config_name(job))
    cfg.dump(path)
    start = time.perf_counter()
    Runner.from_cfg(RenderedOnceConfig.freeze(Config.fromfile(path))).train()
    seconds = time.perf_counter() - start
    history = val_history(read_scalars(cfg.work_dir))
    return dict(top1=history[-1][1], seconds=seconds, work_dir=cfg.work_dir)


def plan(methods: Sequence[Method], seeds: Sequence[int]) -> List[Job]:
    """Every run, teachers first (the longest, and the others wait for them)."""
    pairs = [key for key in PAIRS if any(method.pair == key for method in methods)]
    jobs = [
        Job(kind, pair, seed) for seed in seeds for pair in pairs
        for kind in ('teacher', )
    ]
    jobs += [Job('student', pair, seed) for seed in seeds for pair in pairs]
    jobs += [
        Job('method', method.pair, seed, method.folder) for seed in seeds
        for method in methods
    ]
    return jobs


def run_all(methods: Sequence[Method],
            seeds: Sequence[int],
            root: str,
            jobs: int = 1,
            epochs: Optional[int] = None,
            num_train: int = 500,
            reuse: bool = False,
            log=print) -> Dict[Job, dict]:
    """Run every job of :func:`plan` (``jobs`` processes at a time; 1: in this process)
    and return ``{job: result}``; a failed run's result holds its ``error``."""
    todo = plan(methods, seeds)
    results: Dict[Job, dict] = {}
    teachers: Dict[tuple, Job] = {
        (job.pair, job.seed): job
        for job in todo if job.kind == 'teacher'
    }

    def teacher_of(job: Job) -> Optional[Job]:
        return teachers[(job.pair, job.seed)] if job.needs_teacher() else None

    def arguments(job: Job) -> tuple:
        teacher = teacher_of(job)
        ckpt = None
        if teacher is not None:
            ckpt = teacher_checkpoint(
                teacher.work_dir(root), epochs or PAIRS[teacher.pair].epochs)
        return (job, root, epochs, num_train, ckpt)

    def record(job: Job, result: dict) -> None:
        results[job] = result
        done = len(results)
        if 'error' in result:
            log(f'[{done}/{len(todo)}] {job.pair} {job.label} seed {job.seed}: FAILED '
                f'({result["error"]})')
        else:
            seconds = result['seconds']
            seconds = ' (earlier run)' if seconds is None else f' in {seconds:.0f} s'
            log(f'[{done}/{len(todo)}] {job.pair} {job.label} seed {job.seed}: '
                f'{result["top1"]:.2f}{seconds}')

    def ready(job: Job) -> Optional[bool]:
        """True: can run; False: waits for its teacher; None: its teacher failed."""
        teacher = teacher_of(job)
        if teacher is None:
            return True
        if teacher not in results:
            return False
        return None if 'error' in results[teacher] else True

    waiting = list(todo)
    if reuse:
        for job in list(waiting):
            previous = finished(job, root, epochs or PAIRS[job.pair].epochs)
            if previous is not None:
                waiting.remove(job)
                record(job, previous)

    def release() -> List[Job]:
        """Jobs that can start now; those whose teacher failed are recorded as failed."""
        now = []
        for job in list(waiting):
            state = ready(job)
            if state is None:
                waiting.remove(job)
                record(job, dict(error='its teacher failed'))
            elif state:
                waiting.remove(job)
                now.append(job)
        return now

    if jobs <= 1:
        while waiting:
            for job in release():
                try:
                    record(job, run_job(*arguments(job)))
                except Exception as error:  # a failed method does not stop the others
                    record(job, dict(error=f'{type(error).__name__}: {error}'))
        return results

    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context('spawn')) as pool:
        running: Dict[Future, Job] = {}
        while waiting or running:
            for job in release():
                running[pool.submit(run_job, *arguments(job))] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    record(job, future.result())
                except Exception as error:
                    record(job, dict(error=f'{type(error).__name__}: {error}'))
    return results


def machine() -> dict:
    """CPU model, cores, Python / torch / MMEngine / MMPretrain versions."""
    import mmengine
    import mmpretrain
    import torch
    cpu = platform.processor() or 'unknown CPU'
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as file:
            for line in file:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        system=platform.platform(),
        python=platform.python_version(),
        torch=torch.__version__,
        mmengine=mmengine.__version__,
        mmpretrain=mmpretrain.__version__)


@dataclass
class Row:
    """One line of a pair's table: a teacher, the student alone or a method."""
    label: str
    key: str  # teacher | student | folder
    source: str
    top1: List[float]
    seconds: List[float]
    errors: List[str]

    @property
    def stats(self) -> Optional[MeanStd]:
        return MeanStd(self.top1) if self.top1 else None


def _model_source(spec: str, channels: Optional[Sequence[int]]) -> str:
    widths = f'` with channels {tuple(channels)}' if channels else '`'
    return f'`{spec}{widths}'


def table_rows(results: Dict[Job, dict], methods: Sequence[Method],
               pair: str) -> List[Row]:
    """The teacher, the student alone, then the methods of ``pair``, each over its
    seeds (in seed order)."""
    chosen = [method for method in methods if method.pair == pair]
    spec = PAIRS[pair]
    rows = [
        Row(f'teacher ({spec.teacher_title})', 'teacher',
            _model_source(spec.teacher, spec.teacher_channels), [], [], []),
        Row(f'student alone ({spec.student_title})', 'student',
            _model_source(spec.student, spec.student_channels), [], [], [])
    ] + [Row(method.name, method.folder, method.source, [], [], []) for method in chosen]
    by_key = {row.key: row for row in rows}
    for job in sorted((job for job in results if job.pair == pair),
                      key=lambda job: job.seed):
        row = by_key.get(job.method if job.kind == 'method' else job.kind)
        if row is None:
            continue
        result = results[job]
        if 'error' in result:
            row.errors.append(f'seed {job.seed}: {result["error"]}')
            continue
        row.top1.append(result['top1'])
        if result.get('seconds') is not None:
            row.seconds.append(result['seconds'])
    return rows


def _signed(value: float) -> str:
    return f'{value:+.2f}'


def pair_table(rows: Sequence[Row]) -> str:
    """Markdown table of one pair: top-1 over the seeds, the gain over the student
    alone, each seed's value, where the recipe comes from, seconds per run."""
    student = next(row for row in rows if row.key == 'student').stats
    lines = [
        '| method | top-1 (mean ± std, n) | vs student alone | per seed | recipe | '
        's / run |', '|---|---|---|---|---|---|'
    ]
    for row in rows:
        stats = row.stats
        gain = '-'
        if stats and student and row.key not in ('teacher', 'student'):
            gain = _signed(stats.mean - student.mean)
        seeds = ', '.join(f'{value:.2f}' for value in row.top1) or '-'
        if row.errors:
            seeds += ' (failed: ' + '; '.join(row.errors) + ')'
        seconds = f'{sum(row.seconds) / len(row.seconds):.0f}' if row.seconds else '-'
        source = row.source if row.source.startswith('`') else f'`{row.source}`'
        lines.append(f'| {row.label} | {stats or "-"} | {gain} | {seeds} | {source} | '
                     f'{seconds} |')
    return '\n'.join(lines) + '\n'


def plot_results(tables: Dict[str, List[Row]], path: str) -> None:
    """Horizontal bars of mean top-1 (± std) per method, one panel per pair, with the
    student alone and the teacher as vertical lines."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, panels = plt.subplots(
        1,
        len(tables),
        figsize=(6 * len(tables), 0.32 * max(len(rows)
                                             for rows in tables.values()) + 1.6),
        squeeze=False)
    for axes, (pair, rows) in zip(panels[0], tables.items()):
        methods = [row for row in rows if row.key not in ('teacher', 'student')][::-1]
        stats = [row.stats for row in methods]
        axes.barh([row.label for row in methods], [s.mean if s else 0 for s in stats],
                  xerr=[s.std or 0 if s else 0 for s in stats],
                  color='tab:blue',
                  alpha=0.8,
                  capsize=3)
        for row, style, color in ((rows[1], '--', 'tab:red'), (rows[0], ':', 'black')):
            if row.stats:
                axes.axvline(
                    row.stats.mean,
                    linestyle=style,
                    color=color,
                    label=f'{row.label}: {row.stats.mean:.2f}')
        means = [s.mean
                 for s in stats if s] + [row.stats.mean for row in rows[:2] if row.stats]
        if means:
            axes.set_xlim(max(0, min(means) - 5), min(100, max(means) + 3))
        axes.set(xlabel='test top-1 (%), mean ± std over seeds', title=PAIRS[pair].title)
        axes.grid(axis='x', alpha=0.3)
        axes.legend(fontsize=8, loc='lower right')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def results_markdown(tables: Dict[str, List[Row]], command: str, info: dict,
                     wall_seconds: float, run_seconds: float, runs: int, reused: int,
                     jobs: int, seeds: Sequence[int], epochs: Dict[str, int],
                     num_train: int, plot_name: str) -> str:
    """``docs/results.md``: what the table is (and is not), how it was made, the
    tables and the plot. ``reused`` of the ``runs`` come from an earlier invocation."""
    today = datetime.date.today().isoformat()
    seeds_text = f'{len(seeds)} seed{"s" * (len(seeds) > 1)}'
    seed_list = ', '.join(str(seed) for seed in seeds)
    data = (f'{num_train} training images, {DIGITS_IMAGES - num_train} test images, '
            'upscaled to 16x16')
    schedule = ' and '.join(f'{epochs[key]} epochs' for key in tables)
    made = runs - reused
    reused_text = (f'\n  {reused} more runs come from an earlier run of the command '
                   '(`--reuse`), their time not counted.' if reused else '')
    text = f'''# Results of our own: every method family on real digits

<!-- Written by tools/benchmark_results.py (make results): rerun, do not edit. -->

**A sanity table, not a paper table.** Every number here comes from this repository's
code, trained on real data: scikit-learn's handwritten digits, bundled with the package
({data}), with {seeds_text},
next to the same student trained alone and the teacher. It shows that each method
trains end to end and what it does to a small student on a small problem, in a run any
machine repeats (about 20 minutes on two cores). It does not reproduce the papers: their
numbers (CIFAR-100, ImageNet) stay on each method's page (`configs/<method>/README.md`),
and `tools/reproduce.py` (`docs/reproduce.md`) runs their tables.

## How it was made

- Command: `{command}`
  (`make results` runs every method with the defaults).
- Machine: {info["cpu"]}, {info["cores"]} cores; {info["system"]};
  Python {info["python"]}, torch {info["torch"]}, MMEngine {info["mmengine"]},
  MMPretrain {info["mmpretrain"]}.
- Wall time: {wall_seconds / 60:.1f} min for {made} runs, {jobs} at a time, one torch
  thread each ({run_seconds / 60:.1f} min of run time in all); {today}.{reused_text}
- Seeds: {seed_list} (initialisation, data order and augmentation;
  the train/test split is the digits' fixed one).

Setup (`kd_plugin/apis/results_benchmark.py`):

- One pair for every method, its teacher trained once per seed and shared by every
  method: the CIFAR model zoo's ResNet32x4 -> ResNet8x4 (`configs/_base_/models/cifar/`;
  every method ships a CIFAR-100 config for it, and the logit methods' recipes come from
  it) at the digits' scale: the same depths and module names, so every config's taps
  hold, with the widths (stem and stages) cut from 32-256 to 16-128 for the teacher and
  to 2-16 for the student, and 10 classes; the heads keep PyTorch's default
  initialisation, as the zoo's. USKD needs no teacher: it trains the same student, and
  is compared with it alone.
- Every run: batch 32, SGD (lr 0.05, momentum 0.9, weight decay 5e-4), cosine schedule;
  {schedule}, teachers included (the student alone still gains a few points after 20
  epochs, the default: the rows compare the methods at one short budget). Top-1 is the
  test accuracy after the last epoch (no best-epoch picking).
- A method's recipe is its CIFAR-100 config (the `recipe` column): the distiller's
  settings (losses and their weights, taps, teacher options), its custom hooks, dataset
  wrappers and training transforms. Scaled the same way for every method:
  `num_classes` -> 10; per-sample memories -> the training set; CRD's negatives keep
  their share of the training set (16384 of 50000); `*_epochs` settings (warm-ups,
  curricula) keep their share of the schedule; `*_sizes` follow the image side
  (32 -> 16); `student_channels` / `teacher_channels` / `in_channels` follow the models'
  widths, stage by stage; crops become `RandomCrop(16, padding=2)`, horizontal flips are
  dropped (digits are not mirror-symmetric), other transforms (MLKD's strong view) stay.
  The recipes' own optimiser settings are not used: one schedule for every row.

![mean ± std top-1 per method]({plot_name})
'''
    for pair, rows in tables.items():
        spec = PAIRS[pair]
        text += f'\n## {spec.title} ({epochs[pair]} epochs)\n\n' + pair_table(rows)
    return text
