"""FCFD and ER-FCFD: paths, per-path BN statistics, gradients, distiller step."""
import copy
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import kd_plugin  # noqa: F401
from kd_plugin.models.dis_losses import ERFCFDLoss, FCFDLoss
from kd_plugin.models.dis_losses.fcfd import mixed_path_candidates

B, T = 4, 4.0
CH_S, CH_T = [2, 3, 4], [3, 4, 5]


def stage(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


def tiny_setup(seed=0, **kwargs):
    torch.manual_seed(seed)
    loss = FCFDLoss(CH_S, CH_T, [4, 4, 4], [4, 4, 4], temperature=T, **kwargs).double()
    stages_s = (stage(2, 3).double(), stage(3, 4).double())
    stages_t = (stage(3, 4).double(), stage(4, 5).double())
    for module in stages_t:
        module.requires_grad_(False)
    for module in stages_s + stages_t:  # non-trivial main statistics
        bn = module[1]
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    cls_s = nn.Linear(4, 6).double()
    cls_t = nn.Linear(5, 6).double().requires_grad_(False)
    feats_s = tuple(
        torch.randn(B, c, 4, 4, dtype=torch.float64, requires_grad=True) for c in CH_S)
    feats_t = tuple(torch.randn(B, c, 4, 4, dtype=torch.float64) for c in CH_T)
    logits_s = torch.randn(B, 6, dtype=torch.float64, requires_grad=True)
    logits_t = torch.randn(B, 6, dtype=torch.float64)
    inputs = dict(
        feats_s=feats_s,
        feats_t=feats_t,
        stages_s=stages_s,
        stages_t=stages_t,
        classifier_s=cls_s,
        classifier_t=cls_t,
        logits_s=logits_s,
        logits_t=logits_t,
        epoch=4)
    return loss, inputs


def kl(z, z_t):
    return F.kl_div(
        F.log_softmax(z / T, 1), F.softmax(z_t / T, 1), reduction='batchmean') * T * T


def gap(x):
    return F.adaptive_avg_pool2d(F.relu(x), 1).view(x.shape[0], -1)


def hand_loss(loss, inp, paths, pooled_term=True):
    """The reference's composition, written out with train-mode copies of the stages."""
    fs, ft = inp['feats_s'], [f.detach() for f in inp['feats_t']]
    st = [copy.deepcopy(m).train() for m in inp['stages_t']]
    ss = [copy.deepcopy(m).train() for m in inp['stages_s']]
    bridged = [loss.s2t_bridges[i](fs[i]) for i in range(3)]
    teacher_space = [[bridged[i]] for i in range(3)]
    mix = 0
    for path in paths:
        k = path.index(path[-1])
        if path[0] == 1:
            x = bridged[k - 2]
            for j in range(k, 4):
                x = st[j - 2](x)
                teacher_space[j - 1].append(x)
            mix = mix + kl(inp['classifier_t'](gap(x)), inp['logits_t'])
        else:
            x = loss.t2s_bridges[k - 2](ft[k - 2])
            for j in range(k, 4):
                x = ss[j - 2](x)
            mix = mix + kl(inp['classifier_s'](gap(x)), inp['logits_t'])
    l2 = sum(F.mse_loss(x, ft[i]) for i in range(3) for x in teacher_space[i])
    if pooled_term:
        l2 = l2 + sum(F.mse_loss(gap(x), gap(ft[2])) for x in teacher_space[2])
    warm = min(1, (inp['epoch'] + 1) / 20)
    return 5.0 * warm * l2 + kl(inp['logits_s'], inp['logits_t']) + 1.0 * mix


def test_candidates_match_reference():
    assert mixed_path_candidates(4) == [(0, 0, 1, 1), (0, 0, 0, 1), (1, 1, 0, 0),
                                        (1, 1, 1, 0)]
    assert len(mixed_path_candidates(5)) == 6


@pytest.mark.parametrize('match_reference', [True, False])
@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_loss_equals_hand_composition(seed, match_reference):
    loss, inp = tiny_setup(match_reference=match_reference)
    for m in inp['stages_t'] + inp['stages_s']:
        m.train()
    loss.generator = torch.Generator().manual_seed(seed)
    value = loss(**inp)
    expected = hand_loss(loss, inp, loss.last_paths, pooled_term=match_reference)
    torch.testing.assert_close(value, expected, rtol=1e-10, atol=1e-12)
    # reduction='none' gives per-sample values whose mean is the loss
    loss.reduction = 'none'
    loss.generator = torch.Generator().manual_seed(seed)
    per_sample = loss(**inp)
    assert per_sample.shape == (B, )
    torch.testing.assert_close(per_sample.mean(), value, rtol=1e-10, atol=1e-12)


def test_eval_mode_teacher_uses_main_statistics():
    loss, inp = tiny_setup(
        path_type='s2t', num_mixed_paths=1, l2_weight=0.0, kd_weight=0.0)
    for m in inp['stages_t']:
        m.eval()
    loss.generator = torch.Generator().manual_seed(0)
    value = loss(**inp)
    (path, ) = loss.last_paths
    k = path.index(0)
    x = loss.s2t_bridges[k - 2](inp['feats_s'][k - 2])
    for j in range(k, 4):
        x = inp['stages_t'][j - 2](x)  # eval mode: running statistics
    torch.testing.assert_close(value, kl(inp['classifier_t'](gap(x)), inp['logits_t']))


def test_paths_depend_only_on_generator():
    loss_a, inp = tiny_setup()
    loss_b, _ = tiny_setup()
    loss_a.generator = torch.Generator().manual_seed(7)
    loss_b.generator = torch.Generator().manual_seed(7)
    seen = set()
    for step in range(6):
        torch.manual_seed(100 + step)  # the global RNG must not matter
        loss_a(**inp)
        torch.manual_seed(999)
        loss_b(**inp)
        assert loss_a.last_paths == loss_b.last_paths
        assert len(set(loss_a.last_paths)) == 2
        seen.update(loss_a.last_paths)
    assert seen <= set(mixed_path_candidates(4))


def test_gradients_reach_student_and_bridges_not_teacher():
    loss, inp = tiny_setup()
    for m in inp['stages_t'] + inp['stages_s']:
        m.train()
    loss.generator = torch.Generator().manual_seed(0)
    loss(**inp).backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in inp['feats_s'])
    # Every connector takes part in each step (DDP with find_unused_parameters=False),
    # the bridges of paths not sampled with an exact zero.
    assert all(p.grad is not None for p in loss.parameters())
    for module in inp['stages_t'] + (inp['classifier_t'], ):
        assert all(p.grad is None for p in module.parameters())
    # Only the function loss through the frozen teacher stages: the gradient still
    # reaches the student feature that the path bridged.
    loss, inp = tiny_setup(
        path_type='s2t', num_mixed_paths=1, l2_weight=0.0, kd_weight=0.0)
    loss.generator = torch.Generator().manual_seed(0)
    loss(**inp).backward()
    k = loss.last_paths[0].index(0)
    assert inp['feats_s'][k - 2].grad.abs().sum() > 0
    assert all(p.grad is None for m in inp['stages_t'] for p in m.parameters())
    # t2s paths train the t2s bridges and the student's later stages
    loss, inp = tiny_setup(path_type='t2s', num_mixed_paths=2)
    loss(**inp).backward()
    assert all(p.grad is not None for p in loss.t2s_bridges.parameters())
    assert all(p.grad is not None for m in inp['stages_s'] for p in m.parameters())


def test_main_bn_statistics_untouched_per_path_statistics_kept():
    loss, inp = tiny_setup(num_mixed_paths=4)
    modules = inp['stages_t'] + inp['stages_s']
    for m in modules:
        m.train()
    before = [copy.deepcopy(m.state_dict()) for m in modules]
    loss(**inp).backward()
    for m, state in zip(modules, before):
        for key, value in m.state_dict().items():
            torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    # one set per path prefix, as the reference's GhostForward bn_mark
    assert set(loss.ghost_stats) == {
        '1.1.0', '1.1.0.0', '1.1.1.0', '0.0.1', '0.0.1.1', '0.0.0.1'
    }
    stats = loss.ghost_stats['1.1.0']
    assert int(stats['0.1.num_batches_tracked']) == 1
    assert stats['0.1.running_mean'].abs().sum() > 0


def test_erfcfd_equals_entropy_weighted_fcfd():
    loss, inp = tiny_setup()
    er = ERFCFDLoss(
        dict(
            type='FCFDLoss',
            student_channels=CH_S,
            teacher_channels=CH_T,
            student_sizes=[4, 4, 4],
            teacher_sizes=[4, 4, 4],
            temperature=T),
        match_reference=False).double()
    er.loss.load_state_dict(loss.state_dict())
    p = F.softmax(inp['logits_t'] / 4, 1)
    entropy = -(p * torch.log(p.clamp(min=1e-10))).sum(1)
    loss.reduction = 'none'
    loss.generator = torch.Generator().manual_seed(3)
    er.loss.generator = torch.Generator().manual_seed(3)
    per_sample = loss(**inp)
    torch.testing.assert_close(er(**inp), (entropy * per_sample).mean())
    # the reference's (B,1,1,1) x (B,C) broadcast in the pooled term: mean(H) * MSE
    er.match_reference = True
    loss.generator = torch.Generator().manual_seed(3)
    er.loss.generator = torch.Generator().manual_seed(3)
    terms = loss.per_sample_terms(**inp)
    expected = (entropy * (terms['l2'] + terms['kd'] + terms['mix'])).mean()
    ft = inp['feats_t'][-1]
    h = entropy.view(-1, 1, 1, 1)
    expected = expected + entropy.mean() * terms['l2_pooled'].mean()
    torch.testing.assert_close(er(**inp), expected)
    # literal broadcast of the reference on one pooled error
    err = F.mse_loss(gap(inp['feats_t'][0][:, :3]), gap(ft[:, :3]), reduction='none')
    torch.testing.assert_close(torch.mean(err * h), entropy.mean() * err.mean())


def test_distiller_step_from_zoo_configs():
    cfg = Config.fromfile('configs/fcfd/fcfd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    loss = model.distill_losses['loss_fcfd']
    loss.generator = torch.Generator().manual_seed(0)
    teacher_copy = copy.deepcopy(model.teacher)
    inputs = torch.randn(4, 3, 32, 32)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = model.loss(inputs, samples)
    assert set(losses) >= {'loss_cls', 'loss_fcfd'}
    assert math.isfinite(losses['loss_fcfd'].item())
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert all(p.grad is not None for p in loss.s2t_bridges.parameters())
    assert model.student.backbone.layer1[0].conv1.weight.grad is not None
    # teacher_norm_train: the teacher's statistics change exactly as one plain
    # train-mode forward would change them; the mixed paths add nothing.
    teacher_copy.train()
    with torch.no_grad():
        teacher_copy(inputs, mode='tensor')
    for (name, a), b in zip(model.teacher.state_dict().items(),
                            teacher_copy.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert loss.ghost_stats
    # ER-FCFD config builds and steps too
    cfg = Config.fromfile('configs/erfcfd/erfcfd_resnet32x4_resnet8x4_1xb64_cifar100.py')
    model = MODELS.build(cfg.model)
    model.train()
    losses = model.loss(inputs, samples)
    assert math.isfinite(losses['loss_erfcfd'].item())
