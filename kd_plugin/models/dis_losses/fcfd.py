"""FCFD: function-consistent feature distillation."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor
from torch.func import functional_call

from ..connectors.fcfd_bridge import FCFDBridge
from .utils import reduce_per_sample, upcast, warmup_factor

STAGE_INPUTS = ('afterrelu', 'beforerelu', 'beforebn')
TEACHER, STUDENT = 0, 1
# The modules of each stage 2..S-1 of both networks, keyed by TEACHER / STUDENT.
StageGroups = Dict[int, List[List[nn.Module]]]


def mixed_path_candidates(num_stages: int,
                          path_type: str = 'bi') -> List[Tuple[int, ...]]:
    """The reference's candidate mixed paths (``MetaModel._create_candidate_path``).

    A path lists, per stage 0..S-1, which network runs it (0 teacher, 1 student). It
    switches once, after a stage ``>= 1``; its logits come from the classifier of the
    network it ends in. ``'bi'`` for S = 4: ``[0,0,1,1], [0,0,0,1], [1,1,0,0],
    [1,1,1,0]`` (in that order), ``'t2s'`` / ``'s2t'`` the halves, ``'nomix'`` none.
    """
    t2s = [(TEACHER, ) * k + (STUDENT, ) * (num_stages - k) for k in range(2, num_stages)]
    s2t = [(STUDENT, ) * k + (TEACHER, ) * (num_stages - k) for k in range(2, num_stages)]
    table = {'bi': t2s + s2t, 't2s': t2s, 's2t': s2t, 'nomix': []}
    if path_type not in table:
        raise ValueError(f'path_type must be one of {list(table)}, got {path_type!r}')
    return table[path_type]


def per_sample_mse(x: Tensor, target: Tensor) -> Tensor:
    """(B,) mean squared error over all but the batch dimension."""
    return (upcast(x) - upcast(target)).pow(2).flatten(1).mean(dim=1)


def per_sample_kl(logits: Tensor, logits_t: Tensor, temperature: float) -> Tensor:
    """(B,) ``T^2 KL(softmax(z_t / T) || softmax(z / T))`` (the reference's ``_loss_kl``
    before its batch mean); the teacher side is detached."""
    log_p = F.log_softmax(upcast(logits) / temperature, dim=1)
    log_q = F.log_softmax(upcast(logits_t).detach() / temperature, dim=1)
    return (log_q.exp() * (log_q - log_p)).sum(dim=1) * temperature**2


def pooled(x: Tensor) -> Tensor:
    """``GAP(ReLU(x))`` as a (B, C) vector: the reference's classifier input."""
    return F.adaptive_avg_pool2d(F.relu(x), 1).flatten(1)


@MODELS.register_module()
class FCFDLoss(nn.Module):
    """Function-consistent feature distillation (FCFD).

    Liu, Zhang, Wang. "Function-Consistent Feature Distillation", ICLR 2023.
    Reference code: LiuDongyang6/FCFD (``classification/models/meta.py``,
    ``classification/cifar/main.py``).

    Both networks are cut into S stages (stage 0 the stem) and a classifier head
    ``fc(GAP(ReLU(x)))``. For every stage ``s >= 1`` a bridge (:class:`FCFDBridge`)
    maps the student's stage output into teacher space and one maps the teacher's into
    student space. Besides the pure teacher and student paths, each step samples
    ``num_mixed_paths`` (2) of the mixed paths (:func:`mixed_path_candidates`, without
    replacement, from ``generator``): a path that switches after stage ``k - 1`` sends
    that stage's output through the bridge and runs the other network's stages
    ``k .. S-1`` and its classifier. The teacher's stages and classifier are frozen;
    gradients flow through them into the bridge and the student's earlier stages. With
    ``F^t_s`` the teacher's stage outputs (detached), ``z_t`` its logits, ``X_s`` what
    lives in teacher space at stage ``s`` (the bridged student output, and the stage-s
    outputs of the sampled mixed paths that run teacher stages), ``P`` the sampled
    paths and ``z_p`` their logits:

    .. math::
        L = w \\Big[\\lambda_{l2} \\min(\\tfrac{e+1}{W}, 1) \\sum_{s=1}^{S-1}
            \\sum_{x \\in X_s} \\big(\\mathrm{MSE}(x, F^t_s)
            + [s = S-1]\\, \\mathrm{MSE}(g(x), g(F^t_{S-1}))\\big)
            + \\lambda_{kd}\\, T^2 \\mathrm{KL}(z_t \\| z_s)
            + \\lambda_{mix} \\sum_{p \\in P} T^2 \\mathrm{KL}(z_t \\| z_p)\\Big]

    with ``g(x) = GAP(ReLU(x))`` and batch-mean KL. The student's cross-entropy (weight
    1) is the student head's (``student_loss_weight=1``). FCFD therefore includes
    logit KD. The teacher path has no loss.

    **Per-path BN statistics.** The reference runs the stages of every mixed path
    inside ``GhostForward``: the BN layers of the stage modules swap in running
    statistics of their own, one set per path prefix (initialised to zeros), so the
    mixed paths never touch the main running statistics. Here the stage modules come
    from ``:module`` taps and run through ``torch.func.functional_call`` with such
    per-path buffers (kept in ``ghost_stats``, keyed by the reference's path names,
    e.g. ``'1.1.0'``; not saved in checkpoints, as in the reference, where they are
    plain attributes). A BN in train mode normalises with batch statistics and
    updates only its per-path buffers; a BN in eval mode (the teacher, unless the
    distiller's ``teacher_norm_train``) uses, and leaves untouched, its main
    statistics. The reference keeps the whole teacher in train mode, so its configs set
    ``teacher_norm_train=True``.

    **Stage layouts.** ``feats_s`` / ``feats_t`` are the outputs of stages 1..S-1,
    ``stages_s`` / ``stages_t`` the modules of stages 2..S-1 (the only ones a mixed
    path re-runs), ``*_stage_modules`` how many consecutive modules form each of those
    stages (e.g. WRN's last stage is ``block3`` then ``bn1``). ``*_stage_input`` is the
    reference's ``stage_input`` tag of the network: ``'afterrelu'`` (post-ReLU stage
    outputs: bridges into it end with LeakyReLU(0.1)), ``'beforebn'`` (WRN: raw block
    outputs, no activation), ``'beforerelu'`` (the reference's ShuffleNet split: the
    stage outputs are pre-ReLU and each stage starts with a ReLU; here the bridge has no
    activation and a ReLU is applied before the zoo's stage modules, which take
    post-ReLU inputs, so the function is the same; supported on the student side).

    **match_reference.** ``True`` (default) is the reference's objective above. The
    final-stage ``MSE(GAP(ReLU(.)))`` term is in the code but not in the paper's
    formulation of the appearance and function losses (Liu et al., "Function-Consistent
    Feature Distillation", ICLR 2023, arXiv:2304.11832, Sec. 3; LiuDongyang6/FCFD@2aefb7b:
    ``classification/models/meta.py``);
    ``match_reference=False`` leaves it out (everything else is shared by both).

    Args:
        student_channels: Channels of the student's stages 1..S-1.
        teacher_channels: Channels of the teacher's stages 1..S-1.
        student_sizes: Spatial sizes (H = W) of the student's stages 1..S-1.
        teacher_sizes: Spatial sizes of the teacher's stages 1..S-1.
        student_stage_input / teacher_stage_input: ``'afterrelu'``, ``'beforebn'``
            (or ``'beforerelu'`` for the student), see above.
        student_stage_modules / teacher_stage_modules: Modules per stage 2..S-1
            (default one each).
        temperature: ``T`` of both KL terms (4, or 8 for some pairs).
        kd_weight: ``lambda_kd``, the student's KL to the teacher (1).
        mix_weight: ``lambda_mix``, each mixed path's KL to the teacher (1; 0.2 for
            wrn_16_2).
        l2_weight: ``lambda_l2`` (the reference's ``weight_l2``: 5; 0.02 for resnet20).
        warmup_epochs: ``W`` of the L2 warm-up (20).
        num_mixed_paths: Mixed paths per step (2).
        path_type: ``'bi'`` (default), ``'s2t'``, ``'t2s'`` or ``'nomix'``.
        match_reference: See above.
        loss_weight: ``w``, a factor on the whole term (1).
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` ((B,) per-sample values whose
            mean is the ``'mean'`` loss).

    Attributes:
        generator: ``torch.Generator`` that samples the mixed paths (``None``: the
            global RNG, seeded by the runner). Set it for exact reproducibility.
        last_paths: The mixed paths of the last call.
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 student_sizes: Sequence[int],
                 teacher_sizes: Sequence[int],
                 student_stage_input: str = 'afterrelu',
                 teacher_stage_input: str = 'afterrelu',
                 student_stage_modules: Optional[Sequence[int]] = None,
                 teacher_stage_modules: Optional[Sequence[int]] = None,
                 temperature: float = 4.0,
                 kd_weight: float = 1.0,
                 mix_weight: float = 1.0,
                 l2_weight: float = 5.0,
                 warmup_epochs: int = 20,
                 num_mixed_paths: int = 2,
                 path_type: str = 'bi',
                 match_reference: bool = True,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        lengths = {
            len(student_channels),
            len(teacher_channels),
            len(student_sizes),
            len(teacher_sizes)
        }
        if len(lengths) != 1 or min(lengths) < 2:
            raise ValueError('FCFDLoss: give channels and sizes of the same stages '
                             '1..S-1 (at least 2) for both networks.')
        for name, value in (('student_stage_input', student_stage_input),
                            ('teacher_stage_input', teacher_stage_input)):
            if value not in STAGE_INPUTS:
                raise ValueError(f'{name} must be one of {STAGE_INPUTS}, got {value!r}')
        if teacher_stage_input == 'beforerelu':
            raise NotImplementedError(
                "teacher_stage_input='beforerelu' is not supported: the zoo's stage "
                'modules return post-ReLU maps, which the L2 term would compare with '
                'pre-ReLU teacher features.')
        self.num_stages = len(student_channels) + 1
        self.candidates = mixed_path_candidates(self.num_stages, path_type)
        if num_mixed_paths > len(self.candidates):
            raise ValueError(f'num_mixed_paths={num_mixed_paths} but path_type '
                             f'{path_type!r} has {len(self.candidates)} candidates.')
        self.stage_inputs = {STUDENT: student_stage_input, TEACHER: teacher_stage_input}
        self.stage_modules = {
            STUDENT: self._layout(student_stage_modules, 'student_stage_modules'),
            TEACHER: self._layout(teacher_stage_modules, 'teacher_stage_modules')
        }
        self.channels = {STUDENT: list(student_channels), TEACHER: list(teacher_channels)}
        self.sizes = {STUDENT: list(student_sizes), TEACHER: list(teacher_sizes)}

        def bridge(src: int, dst: int, index: int) -> FCFDBridge:
            return FCFDBridge(self.channels[src][index], self.channels[dst][index],
                              self.sizes[src][index], self.sizes[dst][index],
                              self.stage_inputs[dst] == 'afterrelu')

        # s2t_bridges[i] maps student stage i+1 into teacher space (all stages: the L2
        # term always uses them). t2s_bridges[i] maps teacher stage i+1 into student
        # space, for the switch points of the candidates (stages 1..S-2); the reference
        # also builds one for stage S-1, which no path uses.
        self.s2t_bridges = nn.ModuleList(
            [bridge(STUDENT, TEACHER, i) for i in range(self.num_stages - 1)])
        self.t2s_bridges = nn.ModuleList(
            [bridge(TEACHER, STUDENT, i) for i in range(self.num_stages - 2)])
        self.temperature = temperature
        self.kd_weight = kd_weight
        self.mix_weight = mix_weight
        self.l2_weight = l2_weight
        self.warmup_epochs = warmup_epochs
        self.num_mixed_paths = num_mixed_paths
        self.match_reference = match_reference
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.generator: Optional[torch.Generator] = None
        self.last_paths: List[Tuple[int, ...]] = []
        self.ghost_stats: Dict[str, Dict[str, Tensor]] = {}

    def _layout(self, counts: Optional[Sequence[int]], name: str) -> List[int]:
        counts = [1] * (self.num_stages - 2) if counts is None else list(counts)
        if len(counts) != self.num_stages - 2 or min(counts) < 1:
            raise ValueError(f'{name} must give a positive module count for each of the '
                             f'{self.num_stages - 2} stages 2..S-1, got {counts}.')
        return counts

    # ------------------------------------------------------------------ paths
    def sample_paths(self) -> List[Tuple[int, ...]]:
        """Draw the mixed paths of one step from ``generator`` (without replacement)."""
        order = torch.randperm(len(self.candidates), generator=self.generator)
        return [self.candidates[i] for i in order[:self.num_mixed_paths].tolist()]

    def _stage_groups(self, modules: Sequence[nn.Module],
                      owner: int) -> List[List[nn.Module]]:
        counts = self.stage_modules[owner]
        if len(modules) != sum(counts):
            who = 'stages_s' if owner == STUDENT else 'stages_t'
            raise ValueError(f'FCFDLoss: {who} has {len(modules)} modules, the layout '
                             f'{counts} needs {sum(counts)} (the stages 2..S-1).')
        groups, start = [], 0
        for count in counts:
            groups.append(list(modules[start:start + count]))
            start += count
        return groups

    def _run_stage(self, modules: List[nn.Module], x: Tensor, mark: str) -> Tensor:
        """Run one stage with the BN statistics of path ``mark`` (the reference's
        ``GhostForward``): train-mode BNs use batch statistics and update per-path
        buffers; eval-mode BNs read their main statistics, which nothing writes."""
        for index, module in enumerate(modules):
            ghosts = self.ghost_stats.setdefault(mark, {})
            overrides = {}
            for name, bn in module.named_modules():
                if not (isinstance(bn, nn.modules.batchnorm._BatchNorm) and bn.training
                        and bn.track_running_stats):
                    continue
                for buffer in ('running_mean', 'running_var', 'num_batches_tracked'):
                    key = f'{name}.{buffer}' if name else buffer
                    ghost_key = f'{index}.{key}'
                    if ghost_key not in ghosts:
                        ghosts[ghost_key] = torch.zeros_like(getattr(bn, buffer))
                    overrides[key] = ghosts[ghost_key]
            x = functional_call(module, overrides, (x, )) if overrides else module(x)
        return x

    @staticmethod
    def _head(x: Tensor, classifier: nn.Module) -> Tensor:
        return classifier(pooled(x))

    # ----------------------------------------------------------------- checks
    def check_shapes(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                     stages_s: Sequence[nn.Module],
                     stages_t: Sequence[nn.Module]) -> None:
        """Raise a ValueError unless the tapped stage outputs fit the bridges (shape
        probe): one (B, C, H, H) map per stage 1..S-1 of each network with the
        configured channels and size, and the stage modules of the layout."""
        self._checked_stages(feats_s, feats_t, stages_s, stages_t)

    def _checked_stages(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                        stages_s: Sequence[nn.Module],
                        stages_t: Sequence[nn.Module]) -> StageGroups:
        """The stage module groups of both networks, once the stage outputs are
        checked against the bridges."""
        num = self.num_stages - 1
        if len(feats_s) != num or len(feats_t) != num:
            raise ValueError(f'FCFDLoss: expects the outputs of stages 1..{num} of each '
                             f'network; got {len(feats_s)} student and {len(feats_t)} '
                             'teacher features. Declare them with taps.')
        for owner, feats in ((STUDENT, feats_s), (TEACHER, feats_t)):
            self._check_stage_maps(owner, feats)
        return {
            STUDENT: self._stage_groups(stages_s, STUDENT),
            TEACHER: self._stage_groups(stages_t, TEACHER)
        }

    def _check_stage_maps(self, owner: int, feats: Sequence[Tensor]) -> None:
        """Raise a ValueError unless each stage output is the square map of the
        channels and size that network's bridges were built for."""
        role = 'student' if owner == STUDENT else 'teacher'
        for index, feat in enumerate(feats):
            channels, size = self.channels[owner][index], self.sizes[owner][index]
            if feat.dim() != 4 or feat.shape[2] != feat.shape[3]:
                raise ValueError(f'FCFDLoss: stage {index + 1}: expected a square (B, C, '
                                 f'H, H) {role} map, got {tuple(feat.shape)}.')
            if tuple(feat.shape[1:3]) != (channels, size):
                raise ValueError(
                    f'FCFDLoss: stage {index + 1}: the {role} map is '
                    f'{tuple(feat.shape)}, but the bridges were built for {channels} '
                    f'channels at {size}x{size}. Set {role}_channels[{index}]='
                    f'{feat.shape[1]} and {role}_sizes[{index}]={feat.shape[2]} in the '
                    'loss config, or tap the stage outputs they were built for.')

    # ---------------------------------------------------------------- forward
    def per_sample_terms(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                         stages_s: Sequence[nn.Module], stages_t: Sequence[nn.Module],
                         classifier_s: nn.Module, classifier_t: nn.Module,
                         logits_s: Tensor, logits_t: Tensor,
                         epoch: int) -> Dict[str, Tensor]:
        """The (B,) terms before ``loss_weight``, each with its factor applied:
        ``'l2'`` (the feature maps), ``'l2_pooled'`` (the final-stage pooled vectors;
        zeros with ``match_reference=False``), ``'kd'`` and ``'mix'``."""
        num = self.num_stages - 1
        stages = self._checked_stages(feats_s, feats_t, stages_s, stages_t)
        classifiers = {STUDENT: classifier_s, TEACHER: classifier_t}
        targets = [f.detach() for f in feats_t]
        target_pooled = pooled(targets[-1])
        factor = self.l2_weight * warmup_factor(epoch, self.warmup_epochs)

        # Teacher space at stage index i (stage i + 1): the bridged student outputs.
        teacher_space: List[List[Tensor]] = [[self.s2t_bridges[i](feats_s[i])]
                                             for i in range(num)]
        zero = logits_s.new_zeros(logits_s.shape[0], dtype=upcast(logits_s).dtype)
        mix = zero
        used_t2s = set()
        self.last_paths = self.sample_paths()
        for path in self.last_paths:
            # First stage run by the last network: the path bridges the output of
            # stage switch - 1 (index switch - 2 of the feature tuples).
            switch = path.index(path[-1])
            src, dst = path[0], path[-1]
            if src == STUDENT:
                x = teacher_space[switch - 2][0]
            else:
                used_t2s.add(switch - 2)
                x = self.t2s_bridges[switch - 2](targets[switch - 2])
                if self.stage_inputs[dst] == 'beforerelu':
                    x = F.relu(x)
            for stage in range(switch, self.num_stages):
                mark = '.'.join(str(m) for m in path[:stage + 1])
                x = self._run_stage(stages[dst][stage - 2], x, mark)
                if dst == TEACHER:
                    teacher_space[stage - 1].append(x)
            mix = mix + per_sample_kl(
                self._head(x, classifiers[dst]), logits_t, self.temperature)
        # DDP with find_unused_parameters=False needs every parameter in each step's
        # graph: the bridges of the paths not sampled this step add an exact zero.
        for index, bridge in enumerate(self.t2s_bridges):
            if index not in used_t2s:
                mix = mix + 0 * sum(p.sum() for p in bridge.parameters())

        l2 = zero
        for i in range(num):
            for x in teacher_space[i]:
                l2 = l2 + per_sample_mse(x, targets[i])
        l2_pooled = zero
        if self.match_reference:
            for x in teacher_space[-1]:
                l2_pooled = l2_pooled + per_sample_mse(pooled(x), target_pooled)
        kd = per_sample_kl(logits_s, logits_t, self.temperature)
        return dict(
            l2=factor * l2,
            l2_pooled=factor * l2_pooled,
            kd=self.kd_weight * kd,
            mix=self.mix_weight * mix)

    def forward(self, feats_s: Sequence[Tensor], feats_t: Sequence[Tensor],
                stages_s: Sequence[nn.Module], stages_t: Sequence[nn.Module],
                classifier_s: nn.Module, classifier_t: nn.Module, logits_s: Tensor,
                logits_t: Tensor, epoch: int) -> Tensor:
        """Return the weighted FCFD term (a scalar unless ``reduction='none'``)."""
        terms = self.per_sample_terms(feats_s, feats_t, stages_s, stages_t, classifier_s,
                                      classifier_t, logits_s, logits_t, epoch)
        per_sample = sum(terms.values())
        return self.loss_weight * reduce_per_sample(per_sample, self.reduction)
