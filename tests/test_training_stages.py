"""Training stages (TrainingStageHook): what each stage trains, and --resume across
them.

The synthetic KD config gets AB's two-stage recipe on its tiny ResNet pair: for 2
epochs the student's backbone and the AB connector train on ``loss_ab`` alone, with
the student in eval(), their own SGD (momentum, weight decay) and a stage scheduler
that halves its lr after the first epoch; then an epoch of ``loss_kd`` and the
cross-entropy with the runner's optimizer. Resuming inside the stage, at its boundary,
or without the stage's saved optimizer state is compared with an uninterrupted run on
CPU (``torch.equal`` of every tensor of the final checkpoint).
"""
import itertools
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from kd_plugin.engine.stages import TrainingStageHook, shorten_stages
from kd_plugin.utils import safe_load

SYNTHETIC_KD = Path(__file__).resolve().parent / 'data' / 'configs' / 'kd_synthetic.py'
_RUN_IDS = itertools.count()
STAGE_LR = 0.05


def staged_config(work_dir: Path, max_epochs: int, resume: bool = False) -> Config:
    cfg = Config.fromfile(SYNTHETIC_KD)
    cfg.model.distill_losses.loss_ab = dict(
        type='ABLoss', student_channels=[8], teacher_channels=[16], loss_weight=3e-3)
    cfg.model.student_taps = dict(preact_feats=['backbone.layer2'])
    cfg.model.teacher_taps = dict(preact_feats=['backbone.layer2'])
    cfg.custom_hooks = [
        dict(
            type='TrainingStageHook',
            stages=[
                dict(
                    name='init',
                    epochs=2,
                    losses=['loss_ab'],
                    student_loss_weight=0.0,
                    trainable=['student.backbone', 'distill_losses.loss_ab'],
                    eval=['student'],
                    optim_wrapper=dict(
                        optimizer=dict(
                            type='SGD', lr=STAGE_LR, momentum=0.9, weight_decay=5e-4)),
                    param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.5)),
                dict(name='main', losses=['loss_kd']),
            ])
    ]
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'stages_{next(_RUN_IDS)}'
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[2])
    cfg.default_hooks.logger.interval = 100
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=-1, save_best=None)
    cfg.resume = resume
    return cfg


def train(work_dir: Path, max_epochs: int, resume: bool = False) -> Runner:
    """Train; ``runner.initial`` holds the weights the first epoch starts from."""
    runner = Runner.from_cfg(staged_config(work_dir, max_epochs, resume))
    initial = {}

    class Snapshot(Hook):

        def before_train_epoch(self, runner) -> None:
            if not initial:
                initial.update({
                    k: v.clone()
                    for k, v in runner.model.state_dict().items()
                })

    runner.register_hook(Snapshot(), priority='LOWEST')
    runner.train()
    runner.initial = initial
    return runner


def checkpoint(work_dir: Path, epoch: int) -> dict:
    return safe_load(str(work_dir / f'epoch_{epoch}.pth'), map_location='cpu')


def test_each_stage_trains_what_it_names(tmp_path):
    runner = train(tmp_path, max_epochs=3)
    initial = runner.initial
    stage, boundary, last = (checkpoint(tmp_path, e) for e in (1, 2, 3))
    weights = stage['state_dict']

    # Stage 1: the head and every BN statistic stay; the backbone and connector train.
    for key in ('student.head.fc.weight', 'student.backbone.bn1.running_mean',
                'student.backbone.layer1.0.bn1.running_var',
                'student.backbone.bn1.num_batches_tracked'):
        assert torch.equal(weights[key], initial[key]), key
    for key in ('student.backbone.conv1.weight', 'student.backbone.bn1.weight',
                'distill_losses.loss_ab.connectors.0.conv.weight'):
        assert not torch.equal(weights[key], initial[key]), key
    # The runner's optimizer took no step yet; the stage's state is in the checkpoint,
    # for exactly the trainable parameters, at the lr its scheduler set.
    assert stage['optimizer']['state'] == {}
    saved = stage['training_stage']
    assert saved['name'] == 'init'
    trainable = sum(
        1 for k in weights
        if k.startswith(('student.backbone.',
                         'distill_')) and 'running' not in k and 'num_batches' not in k)
    assert len(saved['optim_wrapper']['state']) == trainable
    assert saved['optim_wrapper']['param_groups'][0]['lr'] == pytest.approx(STAGE_LR / 2)

    # Main stage: the head trains, BN statistics move, the unused connector stays,
    # and the runner's optimizer starts from a fresh state at the boundary.
    assert boundary['optimizer']['state'] == {}
    final = last['state_dict']
    assert not torch.equal(final['student.head.fc.weight'],
                           initial['student.head.fc.weight'])
    assert not torch.equal(final['student.backbone.bn1.running_mean'],
                           weights['student.backbone.bn1.running_mean'])
    connector = 'distill_losses.loss_ab.connectors.0.conv.weight'
    assert torch.equal(final[connector], boundary['state_dict'][connector])
    assert last['optimizer']['state'] and 'training_stage' not in last
    # The log shows the terms of the last stage only.
    logged = runner.message_hub.log_scalars
    assert 'train/loss_kd' in logged and 'train/loss_ab' not in logged
    # The runner's milestone (epoch 2) counts the stage's epochs too.
    assert last['optimizer']['param_groups'][0]['lr'] == pytest.approx(0.005)


@pytest.mark.parametrize('stop', [1, 2], ids=['inside_the_stage', 'at_the_boundary'])
def test_resume_across_stages_is_bit_identical(tmp_path, stop):
    train(tmp_path / 'straight', max_epochs=3)
    train(tmp_path / 'resumed', max_epochs=stop)
    train(tmp_path / 'resumed', max_epochs=3, resume=True)
    straight = checkpoint(tmp_path / 'straight', 3)['state_dict']
    resumed = checkpoint(tmp_path / 'resumed', 3)['state_dict']
    assert straight.keys() == resumed.keys()
    different = [k for k in straight if not torch.equal(straight[k], resumed[k])]
    assert not different, f'resumed run differs in {different[:8]}'


def test_resume_needs_the_stage_optimizer_state(tmp_path):
    """Without the stage's momentum and scheduler state a run resumed inside the stage
    drifts: the checkpoint's ``training_stage`` is what makes it exact."""
    train(tmp_path / 'straight', max_epochs=2)
    train(tmp_path / 'resumed', max_epochs=1)
    path = tmp_path / 'resumed' / 'epoch_1.pth'
    state = torch.load(path, map_location='cpu', weights_only=False)
    del state['training_stage']
    torch.save(state, path)
    train(tmp_path / 'resumed', max_epochs=2, resume=True)
    straight = checkpoint(tmp_path / 'straight', 2)['state_dict']
    resumed = checkpoint(tmp_path / 'resumed', 2)['state_dict']
    assert any(not torch.equal(straight[k], resumed[k]) for k in straight)


class _Runner:

    def __init__(self, model):
        self.model = model


@pytest.mark.parametrize('stage, message', [
    (dict(epochs=1, losses=['loss_ba']), "no distill_losses key 'loss_ba' "
     r"\(closest: 'loss_ab'\)"),
    (dict(epochs=1, loss_attrs=dict(loss_ab=dict(margn=2.0))),
     r"has no attribute 'margn' \(closest: 'margin'\)"),
    (dict(epochs=1, losses=['loss_kd'],
          loss_attrs=dict(loss_ab=dict(margin=2.0))), 'which it does not compute'),
    (dict(epochs=1, trainable=['student.backbone.layer9']), 'no module at tap path'),
    (dict(epochs=1, trainable=['teacher']), 'holds no trainable parameter'),
])
def test_a_wrong_stage_is_named_before_training(stage, message):
    model = MODELS.build(staged_config(Path('unused'), 1).model)
    hook = TrainingStageHook([stage])
    with pytest.raises(ValueError, match=message):
        hook.before_train(_Runner(model))


@pytest.mark.parametrize('stages, message', [
    ([dict(epochs=1, optimizer=dict())], "no key 'optimizer'"),
    ([dict(name='a'), dict(name='b')], 'needs `epochs`'),
    ([dict(epochs=0)], 'positive int'),
    ([dict(epochs=1, param_scheduler=dict(type='MultiStepLR'))], 'no optim_wrapper'),
])
def test_a_wrong_stage_list_is_refused_when_built(stages, message):
    with pytest.raises(ValueError, match=message):
        TrainingStageHook(stages)


def test_smoke_runs_give_each_stage_one_epoch():
    cfg = Config(
        dict(custom_hooks=[
            dict(type='TrainingStageHook', stages=[dict(
                epochs=30), dict(epochs=5), {}])
        ]))
    assert shorten_stages(cfg) == 2
    assert [s.get('epochs') for s in cfg.custom_hooks[0].stages] == [1, 1, None]
    hook = TrainingStageHook(cfg.custom_hooks[0].stages)
    assert [hook.stage_index(e) for e in range(4)] == [0, 1, 2, 2]
