"""Distillation-oriented trainer (DOT): separate momentum for the task and the
distillation gradients, as an MMEngine optimizer wrapper any distiller config can use.

Zhao, Song, Qiu. "DOT: A Distillation-Oriented Trainer", ICCV 2023. Reference code:
``megvii-research/mdistiller@a08d46f:mdistiller/engine/dot.py``
(``DistillationOrientedTrainer``) and its ``DOT`` trainer in
``mdistiller/engine/trainer.py``, which backpropagate the distillation loss and the
task loss separately and keep one momentum buffer for each gradient.

How the wrapper gets the two losses without the distiller naming a method: MMEngine's
``train_step`` runs the forward inside ``optim_wrapper.optim_context(model)`` and then
calls ``optim_wrapper.update_params(total_loss)``. :class:`DOTOptimWrapper` records the
loss dict of that forward (``forward(mode='loss')``) with a forward hook that lives only
inside its ``optim_context``, and splits it by name: the ``task_losses`` terms (the
student's cross-entropy, ``loss_cls``) against every other ``loss*`` term. A custom
loop may also pass the loss dict itself: ``update_params(model(..., mode='loss'))``.
No model, distiller or runner code changes.

DDP: the two losses are differentiated separately with ``torch.autograd.grad``, which
DDP's single gradient all-reduce per forward cannot serve. Under a
``DistributedDataParallel`` model the forward runs in ``no_sync()``; the wrapper
averages both gradients over the ranks itself (one all-reduce per dtype) and, when the
model has ``broadcast_buffers``, broadcasts rank 0's buffers before each forward as DDP
would.
"""
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS
from torch import Tensor

from kd_plugin.utils.vocabulary import closest

Gradients = Dict[Tensor, Tensor]


def loss_terms(losses: dict) -> Dict[str, Tensor]:
    """The scalar terms MMEngine's ``parse_losses`` sums: keys containing ``loss``,
    tensors averaged, lists of tensors summed after averaging each."""
    terms = {}
    for name, value in losses.items():
        if 'loss' not in name:
            continue
        if isinstance(value, Tensor):
            terms[name] = value.mean()
        elif isinstance(value,
                        (list, tuple)) and all(isinstance(v, Tensor) for v in value):
            terms[name] = sum(v.mean() for v in value)
        else:
            raise TypeError(f'{name} is a {type(value).__name__}: loss terms must be '
                            'tensors or lists of tensors.')
    return terms


@OPTIM_WRAPPERS.register_module()
class DOTOptimWrapper(OptimWrapper):
    """SGD with one momentum buffer for the task gradient and one for the distillation
    gradient (DOT, Zhao et al., ICCV 2023).

    With the SGD momentum ``mu`` of each parameter group, weight decay ``lambda`` and
    ``delta``, each step differentiates the task loss ``L_task`` (the ``task_losses``
    terms) and the distillation loss ``L_distill`` (every other ``loss*`` term)
    separately and, for a parameter ``theta`` that receives both gradients:

    .. math::
        v_{task} \\leftarrow (\\mu - \\delta) v_{task} + \\nabla L_{task}
                   + \\lambda \\theta, \\qquad
        v_{distill} \\leftarrow (\\mu + \\delta) v_{distill} + \\nabla L_{distill},
        \\qquad
        \\theta \\leftarrow \\theta - \\eta \\, v_{task} - \\eta \\, v_{distill}

    (each buffer starts as its first gradient; a dampening ``d`` of the group scales
    the added gradient by ``1 - d`` after the first step). A larger momentum for the
    distillation gradient lets the student follow the teacher's direction more steadily
    while the task gradient keeps exploring. This is mdistiller's ``dot``, including its
    handling of parameters that receive only one gradient: they use the plain momentum
    ``mu`` for it, with weight decay; a parameter with only a distillation gradient
    (e.g. a connector) gets no weight decay on its very first step, as in the original.
    The paper states the two momenta and the split; the code adds nothing else.

    The weight decay goes into the task buffer, the parameters update twice per step
    (task part, then distillation part) as in the original, and both buffers live in
    the optimizer state (``momentum_buffer``, ``momentum_kd_buffer``), so a checkpoint
    resumes both.

    Config (any distiller; the schedule base keeps its SGD)::

        optim_wrapper = dict(type='DOTOptimWrapper', delta=0.075)

    Args:
        optimizer: ``torch.optim.SGD`` with ``momentum > delta``, no Nesterov; its
            groups' ``lr`` (schedulers apply), ``momentum``, ``weight_decay`` and
            ``dampening`` are used.
        delta: ``delta``; mdistiller's ``SOLVER.DOT.DELTA``: 0.075 on CIFAR-100 and
            Tiny-ImageNet, 0.09 on ImageNet.
        task_losses: Names of the task terms in the loss dict (the student head's
            cross-entropy is ``loss_cls``); all other ``loss*`` terms are distillation.
        **kwargs: ``OptimWrapper``'s; gradient accumulation and clipping are not part
            of DOT and are refused.
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 delta: float = 0.075,
                 task_losses: Sequence[str] = ('loss_cls', ),
                 **kwargs) -> None:
        if kwargs.get('accumulative_counts', 1) != 1 or kwargs.get('clip_grad'):
            raise ValueError(
                'DOTOptimWrapper: accumulative_counts and clip_grad are not supported '
                '(mdistiller\'s DOT steps once per batch on unclipped gradients); '
                'remove them from optim_wrapper.')
        super().__init__(optimizer, **kwargs)
        self.delta = float(delta)
        self.task_losses = (task_losses, ) if isinstance(task_losses,
                                                         str) else tuple(task_losses)
        self._check_optimizer(optimizer)
        self._terms: Optional[dict] = None
        self._ddp_model: Optional[nn.Module] = None

    def _check_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        if not isinstance(optimizer, torch.optim.SGD):
            raise TypeError(
                'DOTOptimWrapper: the optimizer must be SGD (DOT splits its momentum), '
                f'got {type(optimizer).__name__}; set '
                "optim_wrapper.optimizer.type='SGD'.")
        if not self.task_losses:
            raise ValueError('DOTOptimWrapper: task_losses must name at least one term.')
        for index, group in enumerate(optimizer.param_groups):
            momentum = group['momentum']
            if group.get('nesterov') or group.get('maximize'):
                raise ValueError(f'DOTOptimWrapper: parameter group {index} uses '
                                 'nesterov or maximize, which DOT does not define.')
            if not 0 <= self.delta < momentum or momentum + self.delta >= 1:
                raise ValueError(
                    f'DOTOptimWrapper: delta={self.delta} with SGD momentum {momentum} '
                    f'(group {index}) gives task / distillation momenta '
                    f'{momentum - self.delta:g} / {momentum + self.delta:g}; both must '
                    'lie in [0, 1): use momentum > delta, momentum + delta < 1 (e.g. '
                    'momentum 0.9, delta 0.075).')

    # ------------------------------------------------------------ the loss terms
    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Record the loss dict of the forward run inside; under DDP, run it without
        DDP's gradient synchronisation (this wrapper averages the gradients)."""
        module = model.module if is_model_wrapper(model) else model
        self._terms = None
        handle = module.register_forward_hook(self._record_terms, with_kwargs=True)
        distributed = hasattr(model, 'no_sync') and _world_size() > 1
        self._ddp_model = model if distributed else None
        if distributed and getattr(model, 'broadcast_buffers', False):
            _broadcast(list(module.buffers()))
        try:
            with model.no_sync() if distributed else nullcontext():
                yield
        finally:
            handle.remove()

    def _record_terms(self, module: nn.Module, args: tuple, kwargs: dict, output) -> None:
        if kwargs.get('mode') == 'loss' and isinstance(output, dict):
            self._terms = output

    def split_terms(self, losses: dict) -> Tuple[Tensor, Tensor]:
        """``(L_task, L_distill)``: the sums of the task terms and of the others."""
        terms = loss_terms(losses)
        missing = [name for name in self.task_losses if name not in terms]
        if missing:
            raise ValueError(
                f'DOTOptimWrapper: task_losses names {missing[0]!r}, which this step\'s '
                f'losses do not have{closest(missing[0], list(terms))}; its terms: '
                f'{", ".join(terms)}.')
        distill = [name for name in terms if name not in self.task_losses]
        if not distill:
            raise ValueError(
                f'DOTOptimWrapper: every term ({", ".join(terms)}) is a task term; DOT '
                'needs distillation terms. Configure distill_losses, or narrow '
                'task_losses.')
        task_loss = sum(terms[name] for name in self.task_losses)
        distill_loss = sum(terms[name] for name in distill)
        return task_loss, distill_loss

    # ---------------------------------------------------------------- the step
    def update_params(self,
                      loss: Union[Tensor, dict],
                      step_kwargs: Optional[dict] = None,
                      zero_kwargs: Optional[dict] = None) -> None:
        """One DOT step from this step's loss terms.

        ``loss`` is the total loss MMEngine's ``train_step`` passes (the terms come from
        the forward recorded in :meth:`optim_context`) or the loss dict itself. The
        gradients are left cleared (``None``); ``step_kwargs`` / ``zero_kwargs`` have
        no use here.
        """
        losses = loss if isinstance(loss, dict) else self._terms
        self._terms = None
        if losses is None:
            raise RuntimeError(
                'DOTOptimWrapper.update_params needs the separate loss terms: run the '
                'forward (mode=\'loss\') inside `with optim_wrapper.optim_context(model)`'
                ', as MMEngine\'s train_step does, or pass the loss dict itself.')
        task_loss, distill_loss = self.split_terms(losses)
        params = [
            p for group in self.optimizer.param_groups for p in group['params']
            if p.requires_grad
        ]
        distill_grads = _gradients(distill_loss, params, retain_graph=True)
        task_grads = _gradients(task_loss, params, retain_graph=False)
        if self._ddp_model is not None:
            _average(list(distill_grads.values()) + list(task_grads.values()))
        self._inner_count += 1
        # The update runs as the closure of the wrapper's and the optimizer's step, so
        # that whatever counts or hooks steps (MMEngine's schedulers) sees one; with
        # every .grad cleared, SGD itself then has nothing to apply.
        self.optimizer.zero_grad(set_to_none=True)
        self.step(closure=lambda: self.dot_step(task_grads, distill_grads))

    @torch.no_grad()
    def dot_step(self, task_grads: Gradients, distill_grads: Gradients) -> None:
        """Update the parameters from the two gradients (keyed by parameter)."""
        for group in self.optimizer.param_groups:
            lr, weight_decay = group['lr'], group['weight_decay']
            dampening, momentum = group['dampening'], group['momentum']
            for param in group['params']:
                task_grad = task_grads.get(param)
                distill_grad = distill_grads.get(param)
                if task_grad is None and distill_grad is None:
                    continue
                state = self.optimizer.state[param]
                if task_grad is not None:
                    step = task_grad.add(param, alpha=weight_decay) if weight_decay \
                        else task_grad
                    task_momentum = (
                        momentum - self.delta if distill_grad is not None else momentum)
                    buffer = _momentum(state, 'momentum_buffer', step, task_momentum,
                                       dampening)
                    param.add_(buffer, alpha=-lr)
                if distill_grad is not None:
                    if task_grad is not None:
                        buffer = _momentum(state, 'momentum_kd_buffer', distill_grad,
                                           momentum + self.delta, dampening)
                    elif 'momentum_kd_buffer' not in state:
                        buffer = _momentum(state, 'momentum_kd_buffer', distill_grad,
                                           momentum, dampening)
                    else:
                        step = distill_grad.add(
                            param, alpha=weight_decay) if weight_decay else distill_grad
                        buffer = _momentum(state, 'momentum_kd_buffer', step, momentum,
                                           dampening)
                    param.add_(buffer, alpha=-lr)


def _momentum(state: dict, key: str, step: Tensor, momentum: float,
              dampening: float) -> Tensor:
    """``buf <- momentum * buf + (1 - dampening) * step``; the first is ``step``."""
    buffer = state.get(key)
    if buffer is None:
        buffer = state[key] = step.detach().clone()
    else:
        buffer.mul_(momentum).add_(step, alpha=1 - dampening)
    return buffer


def _gradients(loss: Tensor, params: List[Tensor], retain_graph: bool) -> Gradients:
    """``{param: d loss / d param}`` for the parameters the loss depends on."""
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        return {}
    grads = torch.autograd.grad(
        loss, params, retain_graph=retain_graph, allow_unused=True)
    return {p: g for p, g in zip(params, grads) if g is not None}


def _world_size() -> int:
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_world_size()
    return 1


def _coalesced(tensors: List[Tensor]) -> Iterator[Tuple[List[Tensor], Tensor]]:
    """Groups of same-dtype, same-device tensors with one flat buffer each."""
    groups: Dict[tuple, List[Tensor]] = {}
    for tensor in tensors:
        groups.setdefault((tensor.dtype, tensor.device), []).append(tensor)
    for group in groups.values():
        yield group, torch.cat([t.reshape(-1) for t in group])


def _scatter(group: List[Tensor], flat: Tensor) -> None:
    offset = 0
    for tensor in group:
        tensor.copy_(flat[offset:offset + tensor.numel()].view_as(tensor))
        offset += tensor.numel()


def _average(tensors: List[Tensor]) -> None:
    """Average in place over the ranks (as DDP averages gradients)."""
    for group, flat in _coalesced(tensors):
        torch_dist.all_reduce(flat)
        _scatter(group, flat.div_(_world_size()))


def _broadcast(tensors: List[Tensor]) -> None:
    """Rank 0's values everywhere (DDP's ``broadcast_buffers``)."""
    for group, flat in _coalesced(tensors):
        torch_dist.broadcast(flat, src=0)
        _scatter(group, flat)
