"""Smoke runs only: give the random teacher the BatchNorm statistics of a real batch.

A smoke run drops the teacher checkpoint, so the teacher keeps its random weights and
the running statistics of fresh BatchNorm layers (mean 0, variance 1), with which it
runs in ``eval()``. Nothing then normalises its activations, which grow with depth: a
random ResNet110 gives pooled vectors of about 1e8, where a trained one gives values
of order 1. Losses that train a module on the teacher's features (CC's teacher
embedding) then overflow float32 within a step. Before the first step, this hook runs
the teacher once on that step's batch with its BatchNorm layers estimating their
statistics (cumulative average, i.e. exactly that batch's), so that its eval-mode
outputs have the scale a trained teacher's have; it draws nothing from the data
loader. Real runs load the teacher checkpoint and never use it.
"""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch.nn.modules.batchnorm import _BatchNorm


@HOOKS.register_module()
class SmokeTeacherStatisticsHook(Hook):
    """Estimate a random teacher's BatchNorm statistics on the first training batch,
    before the first step; no-op without an online teacher."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._done = False

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._done or data_batch is None:
            return
        self._done = True
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        teacher = getattr(model, 'teacher', None)
        norms = [] if teacher is None else [
            m for m in teacher.modules() if isinstance(m, _BatchNorm)
        ]
        if not norms:
            return
        with torch.no_grad():
            inputs = model.data_preprocessor(dict(data_batch), True)['inputs']
        momenta = [norm.momentum for norm in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None
            norm.train()
        try:
            model.run_teacher(inputs)
        finally:
            for norm, momentum in zip(norms, momenta):
                norm.momentum = momentum
            model.train(model.training)
