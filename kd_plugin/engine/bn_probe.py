"""Reproduce mdistiller's build-time shape probe, which moves the teacher's BatchNorm
running statistics (opt-in; nothing in kd_plugin does this by default).

mdistiller's FitNet and VID distillers call ``get_feat_shapes``
(megvii-research/mdistiller@a08d46f:mdistiller/distillers/_common.py) in their
constructors, after ``tools/train.py`` has loaded the teacher checkpoint and before the
teacher is ever put in eval mode: the student and then the teacher run once on
``torch.randn(1, 3, 32, 32)`` under ``no_grad``, both still in train mode. ``no_grad``
does not stop BatchNorm from updating its buffers, so every BN of both networks moves
its running statistics once, with momentum 0.1, toward that noise image's statistics,
and mdistiller's teacher keeps the moved statistics for the whole run. RepDistiller's
probe (HobbitLong/RepDistiller@b84f547:train_student.py) puts both networks in eval
mode first and changes nothing; kd_plugin's ``shape_probe`` runs in eval mode too.

Add the hook to a config to train with mdistiller's teacher::

    custom_hooks = [dict(type='TrainModeNoiseProbeHook')]
"""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


def train_mode_probe(models: Sequence[nn.Module], inputs: torch.Tensor) -> None:
    """Run each model once on ``inputs`` in train mode under ``no_grad`` (so its
    BatchNorm layers update their running statistics), then restore every module's
    mode. ``inputs`` go to each model's device and floating dtype."""
    for model in models:
        reference = next(model.parameters())
        modes = {module: module.training for module in model.modules()}
        model.train()
        try:
            with torch.no_grad():
                model(inputs.to(device=reference.device, dtype=reference.dtype))
        finally:
            for module, mode in modes.items():
                module.training = mode


@HOOKS.register_module()
class TrainModeNoiseProbeHook(Hook):
    """Before training, run the student and then the teacher once in train mode on a
    seeded noise batch, as mdistiller's ``get_feat_shapes`` does (FitNet, VID).

    Each BatchNorm ``m`` of both networks sees the batch statistics of its input ``x``
    on that noise batch and updates, with its momentum (0.1 in these networks):
    ``running_mean <- (1 - m) running_mean + m mean(x)``,
    ``running_var <- (1 - m) running_var + m var_unbiased(x)`` (over batch and
    positions), ``num_batches_tracked += 1``. The teacher then stays in eval mode with
    those statistics; the student's are overwritten within the first steps. The noise
    goes straight into the networks (mdistiller feeds it as a normalised image), drawn
    from ``torch.Generator().manual_seed(seed)``, so the global RNG is untouched.

    The hook runs in ``before_train``, after the teacher checkpoint is loaded (the
    distiller's ``init_weights``) and after ``--resume``. A resumed run restores the
    student's statistics (and the teacher's, when the distiller writes the teacher into
    its checkpoints), which already include the probe, so only the modules reloaded from
    their original weights are probed again.

    Differences from mdistiller: its WRN forward re-applies three BNs to compute
    pre-activation features (``mdistiller/models/cifar/wrn.py``), so in a WRN those
    three move twice there and once here; and mdistiller draws the noise from the global
    RNG, which shifts every later random draw of its run.

    Args:
        input_shape: Shape of the noise batch (mdistiller: ``(1, 3, *INPUT_SIZE)``,
            ``INPUT_SIZE`` (32, 32)).
        seed: Seed of the noise.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 input_shape: Sequence[int] = (1, 3, 32, 32),
                 seed: int = 0) -> None:
        if len(input_shape) != 4:
            raise ValueError(
                f'TrainModeNoiseProbeHook: input_shape must be (N, C, H, W), got '
                f'{tuple(input_shape)}')
        self.input_shape = tuple(input_shape)
        self.seed = seed

    def noise(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        return torch.randn(*self.input_shape, generator=generator)

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        student = getattr(model, 'student', None)
        teacher = getattr(model, 'teacher', None)
        if not isinstance(student, nn.Module) or not isinstance(teacher, nn.Module):
            raise ValueError(
                'TrainModeNoiseProbeHook needs a distiller with a `student` and an '
                f'online `teacher`; {type(model).__name__} has '
                f'student={type(student).__name__}, teacher={type(teacher).__name__} '
                '(a run with `teacher_cache` builds no teacher).')
        resumed = runner.iter > 0
        models = []
        if not resumed:
            models.append(student)
        if not (resumed and getattr(model, 'teacher_in_checkpoint', False)):
            models.append(teacher)
        train_mode_probe(models, self.noise())
        print_log(
            f'TrainModeNoiseProbeHook: ran {len(models)} network(s) in train mode on a '
            f'noise batch {self.input_shape} (seed {self.seed}); their BatchNorm running '
            'statistics moved toward it.', 'current')
