"""Whole training steps of the mdistiller methods, from their configs, against the
original recipes re-derived independently.

For KD, DKD, AT, FitNet, RKD, VID and CRD on CIFAR-100 ResNet32x4 -> ResNet8x4, each test
loads the shipped config, builds the distiller as MMEngine's runner does (teacher weights
from a fixed seed with BN statistics calibrated on a noise batch, no checkpoint), builds
the optimizer wrapper and the parameter schedulers from the config as
``Runner.build_optim_wrapper`` / ``Runner._build_param_scheduler`` do, and runs three
``model.train_step`` calls at the runner epochs 0, 5 and 150: the epoch reaches the
losses through the message hub as ``RuntimeInfoHook`` puts it there, and the schedulers
step at every epoch end as ``ParamSchedulerHook`` steps them. Epochs 0 and 5 lie inside
DKD's 20-epoch warm-up; 150 is the first epoch of the first lr decay.

The expected values are computed here, independently of the plugin (no loss class is
imported): the networks' forward from the same initial weights, the original code's loss
formulas, the cross-entropy weight, and SGD with momentum and weight decay on every
learnable parameter (the student's, BN and biases included, and the method's
connectors). The hyper-parameters are the ORIGINALS', written below with their source
and never read from our configs: a config whose recipe drifts from the original (lr,
milestones, momentum, Nesterov, weight decay and what it applies to, loss weights,
temperatures, warm-up, normalisation, which parameters train) fails here. The logged
losses, the number of optimizer steps and the update of every learnable parameter are
compared after each step.

Precision: both sides run in float64 (the distiller is converted with ``.double()`` after
it is built; the step runs the same code as in float32). In float32, the BN backward of
a small batch sums thousands of cancelling terms: measured against float64, single
weight updates then differ by up to 1e-2 (1e-3 typically) of their size, which would
hide small drifts such as a normalisation constant off in its fourth digit. In float64
the two runs agree to about 1e-12 (measured); the tolerances (1e-10 of each loss, 1e-9
of each update's largest entry) leave that margin and nothing more. The images are 16
x 16 (every layer, loss and update is the same function of them as at 32 x 32, at a
quarter of the cost) and the build-time shape probe is off (it checks shapes only).
"""
import copy
import itertools
import math
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

ROOT = Path(__file__).resolve().parent.parent
# Sources cited below as MD:path and RD:path.
MD = 'megvii-research/mdistiller@a08d46f10d6102bd6e3f258ca5ac880b020ea259'
RD = 'HobbitLong/RepDistiller@b84f547c5db6a35318d4671d7d5c4de74c822403'

# The originals' CIFAR-100 recipe (same in MD and RD): SGD lr 0.05, momentum 0.9, no
# Nesterov, weight decay 5e-4 on every learnable parameter, lr x0.1 when the 1-based epoch
# exceeds 150/180/210, batch 64 on one GPU, 240 epochs.
# MD:configs/cifar100/{kd,at,fitnet,rkd,crd}.yaml and
# MD:configs/cifar100/dkd/res32x4_res8x4.yaml (SOLVER), MD:mdistiller/engine/trainer.py
# (init_optimizer: optim.SGD over get_learnable_parameters()),
# MD:mdistiller/engine/utils.py (adjust_learning_rate); RD:train_student.py (argument
# defaults, optim.SGD over trainable_list).
LR = 0.05
MOMENTUM = 0.9
NESTEROV = False
WEIGHT_DECAY = 5e-4
LR_DECAY_STAGES = (150, 180, 210)
LR_DECAY_RATE = 0.1
BATCH_SIZE = 64  # on one GPU
MAX_EPOCHS = 240
CIFAR_TRAIN_SIZE = 50000
# Normalize() after ToTensor() (0-1 images): MD:mdistiller/dataset/cifar100.py
# (get_cifar100_train_transform), RD:dataset/cifar100.py.
MEAN = (0.5071, 0.4867, 0.4408)
STD = (0.2675, 0.2565, 0.2761)

# Method hyper-parameters: MD:mdistiller/engine/cfg.py (KD, DKD, AT, FITNET, RKD, CRD
# sections; the yamls above override none of them), RD:scripts/run_cifar_distill.sh
# (-r/-a/-b for the same pair).
KD_T, KD_CE_WEIGHT, KD_WEIGHT = 4.0, 0.1, 0.9
DKD_ALPHA, DKD_BETA, DKD_T, DKD_WARMUP, DKD_CE_WEIGHT = 1.0, 8.0, 4.0, 20, 1.0
AT_P, AT_WEIGHT, AT_CE_WEIGHT = 2, 1000.0, 1.0
FITNET_HINT_LAYER, FITNET_WEIGHT, FITNET_CE_WEIGHT = 2, 100.0, 1.0
RKD_DISTANCE, RKD_ANGLE, RKD_WEIGHT, RKD_EPS, RKD_CE_WEIGHT = 25.0, 50.0, 1.0, 1e-12, 1.0
# VID: RD:distiller_zoo/VID.py (init_pred_var, eps), RD:train_student.py (one VIDLoss per
# feat[1:-1] pair, in trainable_list), RD:scripts/run_cifar_distill.sh (-a 0 -b 1).
VID_INIT_VAR, VID_EPS, VID_WEIGHT, VID_CE_WEIGHT = 5.0, 1e-5, 1.0, 1.0
CRD_K, CRD_T, CRD_MOMENTUM, CRD_DIM, CRD_WEIGHT, CRD_CE_WEIGHT = (16384, 0.07, 0.5, 128,
                                                                  0.8, 1.0)

EPOCHS = (0, 5, 150)  # runner (0-based) epoch of each step
IMAGES = 3  # per step (RKD's angles need three samples)
IMAGE_SIZE = 16
LOSS_RTOL = 1e-10
UPDATE_RTOL = 1e-9
_HUBS = itertools.count()


class Outputs(NamedTuple):
    """mdistiller's ``feats['feats']`` (stem, stage 1-3), ``pooled_feat`` and logits."""
    feats: List[Tensor]
    pooled: Tensor
    logits: Tensor


class Batch(NamedTuple):
    images: Tensor  # (B, 3, H, W) uint8
    labels: Tensor
    sample_idx: Tensor
    contrast_idx: Tensor  # (B, 1 + CRD_K), the positive first


# ------------------------------------------------------------------ networks
def batch_norm(x: Tensor, weights: Dict[str, Tensor], name: str, train: bool) -> Tensor:
    """BatchNorm2d: batch statistics in train mode, running ones in eval (eps 1e-5)."""
    running = (None, None) if train else (weights[f'{name}.running_mean'],
                                          weights[f'{name}.running_var'])
    return F.batch_norm(
        x,
        *running,
        weights[f'{name}.weight'],
        weights[f'{name}.bias'],
        training=train,
        eps=1e-5)


def cifar_resnet(weights: Dict[str, Tensor], prefix: str, images: Tensor,
                 train: bool) -> Outputs:
    """The CIFAR ResNet of MD:mdistiller/models/cifar/resnet.py (RD:models/resnet.py):
    conv3x3-BN-ReLU stem, three stages of post-activation basic blocks (strides 1, 2, 2;
    a 1x1 conv + BN shortcut where present), global average pool, fc."""
    conv = f'{prefix}backbone.'
    x = F.relu(
        batch_norm(
            F.conv2d(images, weights[f'{conv}conv1.weight'], padding=1), weights,
            f'{conv}bn1', train))
    feats = [x]
    for stage, stride in zip((1, 2, 3), (1, 2, 2)):
        for block in itertools.count():
            name = f'{conv}layer{stage}.{block}.'
            if f'{name}conv1.weight' not in weights:
                break
            step = stride if block == 0 else 1
            out = F.conv2d(x, weights[f'{name}conv1.weight'], stride=step, padding=1)
            out = F.relu(batch_norm(out, weights, f'{name}bn1', train))
            out = F.conv2d(out, weights[f'{name}conv2.weight'], padding=1)
            out = batch_norm(out, weights, f'{name}bn2', train)
            shortcut = x
            if f'{name}downsample.0.weight' in weights:
                shortcut = F.conv2d(x, weights[f'{name}downsample.0.weight'], stride=step)
                shortcut = batch_norm(shortcut, weights, f'{name}downsample.1', train)
            x = F.relu(out + shortcut)
        feats.append(x)
    pooled = x.mean(dim=(2, 3))
    logits = F.linear(pooled, weights[f'{prefix}head.fc.weight'],
                      weights[f'{prefix}head.fc.bias'])
    return Outputs(feats, pooled, logits)


# ------------------------------------------------------------------ loss formulas
def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    return -logits.log_softmax(dim=1).gather(1, labels[:, None]).mean()


def kd_term(logits_s: Tensor, logits_t: Tensor, temperature: float) -> Tensor:
    """T^2 KL(softmax(z_t/T) || softmax(z_s/T)), summed over classes, batch mean
    (MD:mdistiller/distillers/KD.py, RD:distiller_zoo/KD.py)."""
    p_t = (logits_t / temperature).softmax(dim=1)
    log_ratio = (logits_t / temperature).log_softmax(dim=1) - (logits_s /
                                                               temperature).log_softmax(1)
    return temperature**2 * (p_t * log_ratio).sum(dim=1).mean()


def dkd_term(logits_s: Tensor, logits_t: Tensor, labels: Tensor) -> Tensor:
    """alpha TCKD + beta NCKD, each T^2 KL / B (MD:mdistiller/distillers/DKD.py): TCKD on
    [p_y, 1 - p_y], NCKD on the softmax over the non-target classes."""
    target = F.one_hot(labels, logits_s.shape[1]).bool()

    def binary(logits):
        p = (logits / DKD_T).softmax(dim=1)
        p_y = p[target]
        return torch.stack([p_y, 1 - p_y], dim=1)

    def non_target(logits):
        return (logits / DKD_T).masked_fill(target, -math.inf).softmax(dim=1)

    def kl(p_t, p_s):
        terms = torch.where(p_t > 0, p_t * (p_t.log() - p_s.clamp_min(1e-300).log()), 0)
        return DKD_T**2 * terms.sum() / labels.shape[0]

    tckd = kl(binary(logits_t), binary(logits_s))
    nckd = kl(non_target(logits_t), non_target(logits_s))
    return DKD_ALPHA * tckd + DKD_BETA * nckd


def at_term(feats_s: Sequence[Tensor], feats_t: Sequence[Tensor]) -> Tensor:
    """Sum over stages of mean((a_s - a_t)^2), a = L2-normalised mean_c F^p
    (MD:mdistiller/distillers/AT.py on feats[1:]; same spatial sizes for this pair)."""

    def attention(feat):
        return F.normalize(feat.pow(AT_P).mean(dim=1).flatten(1), dim=1)

    total = 0
    for f_s, f_t in zip(feats_s, feats_t):
        assert f_s.shape[2:] == f_t.shape[2:]
        total = total + (attention(f_s) - attention(f_t)).pow(2).mean()
    return total


def pairwise_distances(e: Tensor) -> Tensor:
    """Euclidean distances, clamped at eps before the root, zero diagonal
    (MD:mdistiller/distillers/RKD.py `_pdist`, squared False)."""
    squared = e.pow(2).sum(1)
    dist = (squared[:, None] + squared[None] - 2 * e @ e.t()).clamp(min=RKD_EPS).sqrt()
    return dist * (1 - torch.eye(len(e), dtype=e.dtype))


def rkd_term(pooled_s: Tensor, pooled_t: Tensor) -> Tensor:
    """25 Huber(distances / their positive mean) + 50 Huber(angles), means over all
    entries (MD:mdistiller/distillers/RKD.py `rkd_loss`); teacher terms are constants."""

    def normalised_distances(e):
        d = pairwise_distances(e)
        return d / d[d > 0].mean()

    def angles(e):
        diff = F.normalize(e[None] - e[:, None], p=2, dim=2)
        return (diff @ diff.transpose(1, 2)).flatten()

    loss_d = F.smooth_l1_loss(
        normalised_distances(pooled_s),
        normalised_distances(pooled_t).detach())
    loss_a = F.smooth_l1_loss(angles(pooled_s), angles(pooled_t).detach())
    return RKD_DISTANCE * loss_d + RKD_ANGLE * loss_a


class ContrastState:
    """CRD's two memory banks and normalisers (MD:mdistiller/distillers/CRD.py
    `ContrastMemory`, `ContrastLoss`; RD:crd/memory.py, RD:crd/criterion.py):
    ``memory_v1`` holds student embeddings and scores the teacher's, ``memory_v2`` the
    reverse; Z is fixed from the first batch as mean(exp(s / T)) * N."""

    def __init__(self, memory_v1: Tensor, memory_v2: Tensor) -> None:
        self.memory_v1, self.memory_v2 = memory_v1, memory_v2
        self.z_v1 = self.z_v2 = None

    def term(self, v1: Tensor, v2: Tensor, batch: Batch) -> Tensor:
        index = batch.contrast_idx
        out_v1 = (self.memory_v2[index] @ v1[:, :, None]).squeeze(2).div(CRD_T).exp()
        out_v2 = (self.memory_v1[index] @ v2[:, :, None]).squeeze(2).div(CRD_T).exp()
        if self.z_v1 is None:
            size = self.memory_v1.shape[0]
            self.z_v1 = out_v1.detach().mean() * size
            self.z_v2 = out_v2.detach().mean() * size
        loss = self.nce(out_v1 / self.z_v1) + self.nce(out_v2 / self.z_v2)
        for memory, v in ((self.memory_v1, v1), (self.memory_v2, v2)):
            rows = memory[batch.sample_idx] * CRD_MOMENTUM + v.detach() * (1 -
                                                                           CRD_MOMENTUM)
            memory[batch.sample_idx] = rows / rows.norm(dim=1, keepdim=True)
        return loss

    def nce(self, x: Tensor) -> Tensor:
        noise = (x.shape[1] - 1) / self.memory_v1.shape[0]
        positive = (x[:, 0] / (x[:, 0] + noise + 1e-7)).log()
        negative = (noise / (x[:, 1:] + noise + 1e-7)).log()
        return -(positive.sum() + negative.sum()) / x.shape[0]


# ------------------------------------------------------------------ the methods
# Each term: (student outputs, teacher outputs, batch, 1-based epoch, float64 weights by
# name, CRD state) -> the weighted distillation loss.
def kd(s, t, batch, epoch, w, state):
    return KD_WEIGHT * kd_term(s.logits, t.logits, KD_T)


def dkd(s, t, batch, epoch, w, state):
    """The term ramps up as min(epoch / WARMUP, 1) of the original's 1-based epoch."""
    return min(epoch / DKD_WARMUP, 1.0) * dkd_term(s.logits, t.logits, batch.labels)


def at(s, t, batch, epoch, w, state):
    return AT_WEIGHT * at_term(s.feats[1:], t.feats[1:])


def fitnet(s, t, batch, epoch, w, state):
    """100 MSE(ConvReg(F_s), F_t) at feats[2] (MD:mdistiller/distillers/FitNet.py,
    _common.py ConvReg: equal sizes -> 1x1 conv with bias, BN, ReLU; BN in train mode)."""
    reg = 'distill_losses.loss_fitnet.regressor.'
    hint = F.conv2d(s.feats[FITNET_HINT_LAYER], w[f'{reg}conv.weight'],
                    w[f'{reg}conv.bias'])
    hint = F.relu(batch_norm(hint, w, f'{reg}bn', train=True))
    return FITNET_WEIGHT * F.mse_loss(hint, t.feats[FITNET_HINT_LAYER])


def rkd(s, t, batch, epoch, w, state):
    return RKD_WEIGHT * rkd_term(s.pooled, t.pooled)


def vid(s, t, batch, epoch, w, state):
    """Sum over feats[1:] of mean(0.5 ((r(F_s) - F_t)^2 / var + log var)): r three
    bias-free 1x1 convs with ReLUs between, var = softplus(log_scale) + eps per teacher
    channel, trained (RD:distiller_zoo/VID.py)."""
    total = 0
    for stage, (f_s, f_t) in enumerate(zip(s.feats[1:], t.feats[1:])):
        layers = f'distill_losses.loss_vid.regressors.{stage}.layers.'
        hidden = F.relu(F.conv2d(f_s, w[f'{layers}0.weight']))
        hidden = F.relu(F.conv2d(hidden, w[f'{layers}2.weight']))
        mean = F.conv2d(hidden, w[f'{layers}4.weight'])
        log_scale = w[f'distill_losses.loss_vid.log_scales.{stage}']
        var = (F.softplus(log_scale) + VID_EPS).view(1, -1, 1, 1)
        total = total + (0.5 * ((mean - f_t)**2 / var + var.log())).mean()
    return VID_WEIGHT * total


def vid_initial_variances(w: Dict[str, Tensor]) -> None:
    """Every variance starts at init_pred_var (RD:distiller_zoo/VID.py)."""
    for name, log_scale in w.items():
        if name.startswith('distill_losses.loss_vid.log_scales.'):
            variance = F.softplus(log_scale) + VID_EPS
            torch.testing.assert_close(variance, torch.full_like(variance, VID_INIT_VAR))


def crd(s, t, batch, epoch, w, state):
    """0.8 (NCE of the student side + NCE of the teacher side) on the L2-normalised
    linear embeddings of the pooled vectors (MD:mdistiller/distillers/CRD.py `Embed`)."""
    embeddings = []
    for pooled, side in ((s.pooled, 'embed_s'), (t.pooled, 'embed_t')):
        linear = f'distill_losses.loss_crd.{side}.linear.'
        embedding = F.linear(pooled, w[f'{linear}weight'], w[f'{linear}bias'])
        assert embedding.shape[1] == CRD_DIM
        embeddings.append(F.normalize(embedding, dim=1))
    return CRD_WEIGHT * state.term(*embeddings, batch)


class Method(NamedTuple):
    config: str  # folder and method name of configs/<config>/<config>_resnet32x4_...
    ce_weight: float
    distill_key: str  # the term's name in the logs
    term: Callable
    # Trainable parameters of the method besides the student's (its connectors).
    connectors: Tuple[str, ...] = ()
    # Checks the initial parameters and buffers where the original fixes them.
    check_initial: Optional[Callable] = None


METHODS = {
    method.config: method
    for method in (
        Method('kd', KD_CE_WEIGHT, 'loss_kd', kd),
        Method('dkd', DKD_CE_WEIGHT, 'loss_dkd', dkd),
        Method('at', AT_CE_WEIGHT, 'loss_at', at),
        Method('fitnet', FITNET_CE_WEIGHT, 'loss_fitnet', fitnet, (
            'distill_losses.loss_fitnet.regressor.', )),
        Method('rkd', RKD_CE_WEIGHT, 'loss_rkd', rkd),
        Method('vid', VID_CE_WEIGHT, 'loss_vid', vid, (
            'distill_losses.loss_vid.regressors.',
            'distill_losses.loss_vid.log_scales.'), vid_initial_variances),
        Method('crd', CRD_CE_WEIGHT, 'loss_crd', crd, (
            'distill_losses.loss_crd.embed_s.', 'distill_losses.loss_crd.embed_t.')),
    )
}


def as_channels(values: Sequence[float]) -> Tensor:
    return torch.tensor(values, dtype=torch.float64).view(-1, 1, 1)


def original_lr(epoch: int) -> float:
    """lr of the 1-based ``epoch`` (MD:mdistiller/engine/utils.py
    adjust_learning_rate)."""
    return LR * LR_DECAY_RATE**sum(epoch > stage for stage in LR_DECAY_STAGES)


# ------------------------------------------------------------------ set-up
def make_batches() -> List[Batch]:
    generator = torch.Generator().manual_seed(2024)
    batches = []
    for step in range(len(EPOCHS)):
        images = torch.randint(
            0,
            256, (IMAGES, 3, IMAGE_SIZE, IMAGE_SIZE),
            generator=generator,
            dtype=torch.uint8)
        labels = torch.randint(
            0, 100, (IMAGES, ), generator=generator)
        # Samples 0-2, then 2-4, then 4-6: a row one step writes is read by the next.
        sample_idx = torch.arange(IMAGES) + 2 * step
        negatives = torch.randint(
            0, CIFAR_TRAIN_SIZE, (IMAGES, CRD_K), generator=generator)
        negatives[:, :IMAGES] = torch.arange(IMAGES)  # the first step's rows
        contrast_idx = torch.cat([sample_idx[:, None], negatives], dim=1)
        batches.append(Batch(images, labels, sample_idx, contrast_idx))
    return batches


def runner_data(batch: Batch) -> dict:
    """The batch as a dataloader gives it (CRD's indices in the data samples, as
    ``ContrastiveIndexDataset`` puts them)."""
    samples = []
    for i in range(IMAGES):
        sample = DataSample().set_gt_label(int(batch.labels[i]))
        sample.set_metainfo(
            dict(
                sample_idx=int(batch.sample_idx[i]),
                contrast_idx=batch.contrast_idx[i].numpy()))
        samples.append(sample)
    return dict(inputs=list(batch.images), data_samples=samples)


def build_distiller(cfg: Config, calibration: Tensor) -> torch.nn.Module:
    """The config's distiller as the runner builds and initialises it, without teacher
    checkpoint, from seed 0; then in float64 (the normalisation constants re-made in
    float64 from the config's values), the teacher's BN statistics set from one noise
    batch so that its eval-mode outputs have a trained network's scale."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(teacher_ckpt=None, shape_probe=None)
    # Runner.__init__ hands the config's top-level data_preprocessor to the model.
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
        model.init_weights()
    model.double()
    preprocessor = model.data_preprocessor
    for key in ('mean', 'std'):
        value = torch.tensor(model_cfg.data_preprocessor[key], dtype=torch.float64)
        setattr(preprocessor, key, value.view(-1, 1, 1))
    norms = [m for m in model.teacher.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average: the statistics of this batch
        model.teacher.train()
        inputs = preprocessor(dict(inputs=list(calibration)), False)['inputs']
        model.teacher(inputs, mode='tensor')
        for norm in norms:
            norm.momentum = 0.1
    return model.train()


def runner_optimizer(cfg: Config, model: torch.nn.Module):
    """Optimizer wrapper and schedulers as ``Runner.build_optim_wrapper`` and
    ``Runner._build_param_scheduler`` build them (``end`` defaults to the max epochs,
    ``epoch_length`` is the length of the config's training loader on CIFAR-100)."""
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    epoch_length = math.ceil(CIFAR_TRAIN_SIZE / cfg.train_dataloader.batch_size)
    configs = cfg.param_scheduler
    schedulers = []
    for scheduler in configs if isinstance(configs, list) else [configs]:
        scheduler = copy.deepcopy(scheduler)
        max_epochs = cfg.train_cfg.max_epochs
        scheduler.setdefault(
            'end',
            max_epochs if scheduler.get('by_epoch', True) else max_epochs * epoch_length)
        schedulers.append(
            PARAM_SCHEDULERS.build(
                scheduler,
                default_args=dict(optimizer=optim_wrapper, epoch_length=epoch_length)))
    return optim_wrapper, schedulers, epoch_length


def advance(schedulers: list, epochs: int, epoch_length: int) -> None:
    """What ``ParamSchedulerHook`` does over ``epochs`` whole epochs: iteration-based
    schedulers step after every iteration, epoch-based ones after every epoch."""
    for _ in range(epochs):
        for scheduler in schedulers:
            for _ in range(1 if scheduler.by_epoch else epoch_length):
                scheduler.step()


# ------------------------------------------------------------------ the two runs
class Run(NamedTuple):
    initial: Dict[str, Tensor]  # parameters and buffers before the first step
    logged: List[Dict[str, float]]  # per step
    learnable: List[Dict[str, Tensor]]  # per step, the parameters after it
    teacher_unchanged: bool
    optimizer_steps: int
    trainable: set  # parameters with requires_grad
    parameters: List[str]
    batch_size: int  # per GPU
    max_epochs: int


def run_config(method: Method, batches: List[Batch]) -> Run:
    """``model.train_step`` at each epoch of ``EPOCHS``, as the runner runs it."""
    cfg = Config.fromfile(
        str(ROOT / 'configs' / method.config /
            f'{method.config}_resnet32x4_resnet8x4_1xb64_cifar100.py'))
    init_default_scope(cfg.default_scope)
    model = build_distiller(cfg, batches[0].images)
    initial = {
        name: value.detach().clone()
        for name, value in itertools.chain(model.named_parameters(),
                                           model.named_buffers())
    }
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    optim_wrapper, schedulers, epoch_length = runner_optimizer(cfg, model)
    steps = []
    optim_wrapper.optimizer.register_step_post_hook(lambda *args: steps.append(1))
    hub = MessageHub.get_instance(f'test_whole_step_{next(_HUBS)}')
    logged, learnable = [], []
    epoch = 0
    for batch, step_epoch in zip(batches, EPOCHS):
        advance(schedulers, step_epoch - epoch, epoch_length)
        epoch = step_epoch
        hub.update_info('epoch', epoch)
        log_vars = model.train_step(runner_data(batch), optim_wrapper)
        logged.append({key: float(value.detach()) for key, value in log_vars.items()})
        learnable.append({
            name: p.detach().clone()
            for name, p in model.named_parameters() if name in trainable
        })
    teacher_unchanged = all(
        torch.equal(value, initial[f'teacher.{name}'])
        for name, value in model.teacher.state_dict().items())
    return Run(initial, logged, learnable, teacher_unchanged, len(steps), trainable,
               [name for name, _ in model.named_parameters()],
               cfg.train_dataloader.batch_size, cfg.train_cfg.max_epochs)


_TEACHER_OUTPUTS: list = []


def original_teacher(weights: Dict[str, Tensor], images: Tensor) -> Outputs:
    """The teacher's eval-mode outputs (no_grad), reused while the teacher's weights and
    the images are those of an earlier call (every test seeds the same teacher)."""
    names = [name for name in weights if name.startswith('teacher.')]
    for cached_weights, cached_images, outputs in _TEACHER_OUTPUTS:
        if torch.equal(cached_images, images) and all(
                torch.equal(cached_weights[n], weights[n]) for n in names):
            return outputs
    with torch.no_grad():
        outputs = cifar_resnet(weights, 'teacher.', images, train=False)
    _TEACHER_OUTPUTS.append(({n: weights[n] for n in names}, images, outputs))
    return outputs


def original_run(method: Method, initial: Dict[str, Tensor], learnable: List[str],
                 batches: List[Batch]) -> Tuple[list, list]:
    """The original's run in float64: the losses and the learnable parameters after
    each step."""
    weights = dict(initial)
    state = None
    if method.config == 'crd':
        state = ContrastState(initial['distill_losses.loss_crd.memory_s'].clone(),
                              initial['distill_losses.loss_crd.memory_t'].clone())
    momentum_buffers: Dict[str, Tensor] = {}
    logged, after = [], []
    for batch, runner_epoch in zip(batches, EPOCHS):
        epoch = runner_epoch + 1  # the originals count epochs from 1
        params = {name: weights[name].clone().requires_grad_() for name in learnable}
        current = {**weights, **params}
        images = (batch.images.double() / 255 - as_channels(MEAN)) / as_channels(STD)
        student = cifar_resnet(current, 'student.', images, train=True)
        teacher = original_teacher(weights, images)
        loss_ce = method.ce_weight * cross_entropy(student.logits, batch.labels)
        loss_kd = method.term(student, teacher, batch, epoch, current, state)
        logged.append({
            'loss': (loss_ce + loss_kd).item(),
            'loss_cls': loss_ce.item(),
            method.distill_key: loss_kd.item()
        })
        grads = torch.autograd.grad(loss_ce + loss_kd, [params[n] for n in learnable])
        lr = original_lr(epoch)
        for name, grad in zip(learnable, grads):
            # torch.optim.SGD, dampening 0: d = g + wd p; b = m b + d; p -= lr b
            # (Nesterov: p -= lr (d + m b)).
            d_p = grad + WEIGHT_DECAY * weights[name]
            buf = momentum_buffers.get(name)
            buf = d_p if buf is None else MOMENTUM * buf + d_p
            momentum_buffers[name] = buf
            weights[name] = weights[name] - lr * (
                d_p + MOMENTUM * buf if NESTEROV else buf)
        after.append({name: weights[name] for name in learnable})
    return logged, after


@pytest.fixture(scope='module')
def batches():
    return make_batches()


@pytest.mark.parametrize('name', sorted(METHODS))
def test_whole_steps_follow_the_original_recipe(name, batches):
    method = METHODS[name]
    run = run_config(method, batches)
    # What trains in the originals: the student and the method's connectors.
    learnable = [
        param for param in run.parameters
        if param.startswith(('student.', ) + method.connectors)
    ]
    assert run.trainable == set(learnable), run.trainable ^ set(learnable)
    for prefix in method.connectors:
        assert any(param.startswith(prefix) for param in learnable), \
            f'no parameter {prefix}*, which the original trains'
    # The originals run the teacher in eval mode under no_grad: nothing of it moves.
    assert run.teacher_unchanged, 'a teacher weight or BN statistic changed'
    assert run.optimizer_steps == len(EPOCHS)
    assert (run.batch_size, run.max_epochs) == (BATCH_SIZE, MAX_EPOCHS)  # config: _1xb64_
    if method.check_initial is not None:
        method.check_initial(run.initial)

    expected_logged, expected = original_run(method, run.initial, learnable, batches)
    for step, epoch in enumerate(EPOCHS):
        where = f'step {step} (runner epoch {epoch})'
        assert run.logged[step].keys() == expected_logged[step].keys(), where
        for key, value in expected_logged[step].items():
            assert run.logged[step][key] == pytest.approx(
                value, rel=LOSS_RTOL), f'{where}: {key}'
        before = run.initial if step == 0 else run.learnable[step - 1]
        expected_before = run.initial if step == 0 else expected[step - 1]
        for param in learnable:
            update = run.learnable[step][param] - before[param]
            expected_update = expected[step][param] - expected_before[param]
            torch.testing.assert_close(
                update,
                expected_update,
                rtol=0,
                atol=UPDATE_RTOL * expected_update.abs().max().item(),
                msg=lambda msg: f'{where}, update of {param}: {msg}')
