"""Evaluate the distiller's teacher on the validation set, next to the student.

A teacher that loaded wrongly (wrong checkpoint, wrong normalisation, a silently random
model) still "trains" a student, just badly. Seeing its accuracy in the log settles it:

    custom_hooks = [dict(type='TeacherEvalHook')]

After a validation epoch the hook runs the teacher over the val dataloader with an
evaluator built like ``val_evaluator`` and logs ``teacher/accuracy/top1`` (and any other
metric of that evaluator) through the message hub, so it appears in the same
``Epoch(val)`` line and in the scalar logs as the student's ``accuracy/top1``.
"""
import copy
import logging
from typing import Dict, Optional, Union

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

PREFIX = 'teacher/'


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Log the teacher's validation metrics under ``teacher/<metric>``.

    Args:
        interval: Evaluate the teacher every ``interval`` validation epochs (the first one
            always). ``None`` (default): once per run, since a frozen teacher's accuracy
            cannot change, or every validation epoch when the distiller has
            ``teacher_norm_train`` (its BatchNorm statistics move).
        evaluator: Evaluator config; defaults to the runner's ``val_evaluator``.
    """

    # Before LoggerHook (BELOW_NORMAL), so the value is in the same log line.
    priority = 'NORMAL'

    def __init__(self,
                 interval: Optional[int] = None,
                 evaluator: Union[dict, list, None] = None) -> None:
        if interval is not None and (not isinstance(interval, int) or interval < 1):
            raise ValueError(f'interval must be a positive int or None, got {interval!r}')
        self.interval = interval
        self.evaluator_cfg = evaluator
        self._val_epochs = 0
        self.last_metrics: Dict[str, float] = {}

    def _due(self, distiller) -> bool:
        self._val_epochs += 1
        if self._val_epochs == 1:
            return True
        interval = self.interval
        if interval is None:
            interval = 1 if getattr(distiller, 'teacher_norm_train', False) else 0
        return bool(interval) and (self._val_epochs - 1) % interval == 0

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        teacher = getattr(model, 'teacher', None)
        if teacher is None:
            if self._val_epochs == 0:
                print_log(
                    'TeacherEvalHook: the model has no teacher; nothing to evaluate.',
                    'current',
                    level=logging.WARNING)
            self._val_epochs += 1
            return
        if not self._due(model):
            return
        self.last_metrics = self.evaluate_teacher(runner, model, teacher)
        for key, value in self.last_metrics.items():
            runner.message_hub.update_scalar(f'val/{PREFIX}{key}', value)
        shown = '  '.join(f'{PREFIX}{k}: {v:.4f}' for k, v in self.last_metrics.items())
        runner.logger.info(f'Teacher on the val set ({type(teacher).__name__}): {shown}')

    @torch.no_grad()
    def evaluate_teacher(self, runner, distiller, teacher) -> Dict[str, float]:
        """The teacher's metrics on ``runner.val_dataloader`` (all ranks take part)."""
        cfg = self.evaluator_cfg if self.evaluator_cfg is not None else runner.cfg.get(
            'val_evaluator')
        if cfg is None:
            raise ValueError(
                'TeacherEvalHook needs a val_evaluator (or its `evaluator`).')
        evaluator = runner.build_evaluator(copy.deepcopy(cfg))
        dataloader = runner.val_dataloader
        dataset = dataloader.dataset
        if hasattr(dataset, 'metainfo'):
            evaluator.dataset_meta = dataset.metainfo
        teacher.eval()  # validation already set it; never run it in train mode here
        for data_batch in dataloader:
            data = distiller.data_preprocessor(data_batch, False)
            run_teacher = getattr(distiller, 'run_teacher', None)
            outputs = (
                run_teacher(data['inputs'], data['data_samples'], mode='predict')
                if run_teacher is not None else teacher(
                    data['inputs'], data['data_samples'], mode='predict'))
            evaluator.process(data_samples=outputs, data_batch=data_batch)
        results = evaluator.evaluate(len(dataset))
        return {
            k: float(v)
            for k, v in results.items()
            if isinstance(v, (int, float)) or (torch.is_tensor(v) and v.numel() == 1)
        }
