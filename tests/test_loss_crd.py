"""CRD: the loss against a hand computation, the memory banks, the contrast-index
dataset wrapper and one training step of a distiller on wrapped synthetic data."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from kd_plugin.datasets import ContrastiveIndexDataset
from kd_plugin.utils.vocabulary import BATCH_INPUTS

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / 'configs' / '_base_' / 'models' / 'cifar'
PACK = [dict(type='PackInputs')]


def small_loss(**kwargs):
    cfg = dict(
        type='CRDLoss',
        student_channels=5,
        teacher_channels=6,
        num_data=10,
        feat_dim=4,
        num_negatives=3)
    cfg.update(kwargs)
    return MODELS.build(cfg).double()


def unit(rows):
    norms = [math.sqrt(sum(x * x for x in row)) for row in rows]
    return [[x / norm for x in row] for row, norm in zip(rows, norms)]


def embed(linear, x):
    """Linear + L2 normalisation, element by element."""
    w, b = linear.weight.tolist(), linear.bias.tolist()
    out = [[sum(wi * xi for wi, xi in zip(w_row, row)) + bj for w_row, bj in zip(w, b)]
           for row in x.tolist()]
    return unit(out)


def hand_nce(scores, z, num_data, eps=1e-7):
    total = 0.0
    for row in scores:
        probs = [s / z for s in row]
        m = len(probs) - 1
        noise = m / num_data
        total += math.log(probs[0] / (probs[0] + noise + eps))
        total += sum(math.log(noise / (p + noise + eps)) for p in probs[1:])
    return -total / len(scores)


def test_nce_matches_hand_computation():
    torch.manual_seed(0)
    loss = small_loss(loss_weight=0.8)
    pooled_s, pooled_t = torch.randn(2, 5).double(), torch.randn(2, 6).double()
    sample_idx = torch.tensor([3, 7])
    contrast_idx = torch.tensor([[3, 0, 5, 9], [7, 1, 1, 4]])
    mem_s, mem_t = loss.memory_s.tolist(), loss.memory_t.tolist()
    v_s, v_t = embed(loss.embed_s.linear, pooled_s), embed(loss.embed_t.linear, pooled_t)
    temperature = 0.07

    def scores(memory, anchors):
        return [[
            math.exp(sum(a * m for a, m in zip(anchor, memory[k])) / temperature)
            for k in row
        ] for anchor, row in zip(anchors, contrast_idx.tolist())]

    out_s, out_t = scores(mem_t, v_s), scores(mem_s, v_t)
    z_s = sum(map(sum, out_s)) / 8 * 10
    z_t = sum(map(sum, out_t)) / 8 * 10
    expected = 0.8 * (hand_nce(out_s, z_s, 10) + hand_nce(out_t, z_t, 10))

    value = loss(
        pooled_s=pooled_s,
        pooled_t=pooled_t,
        sample_idx=sample_idx,
        contrast_idx=contrast_idx)
    assert value.item() == pytest.approx(expected, rel=1e-10)
    assert loss.z_s.item() == pytest.approx(z_s, rel=1e-12)
    assert loss.z_t.item() == pytest.approx(z_t, rel=1e-12)

    # Z is kept from the first batch: a second call reuses it with the updated banks.
    mem_s, mem_t = loss.memory_s.tolist(), loss.memory_t.tolist()
    out_s, out_t = scores(mem_t, v_s), scores(mem_s, v_t)
    expected = 0.8 * (hand_nce(out_s, z_s, 10) + hand_nce(out_t, z_t, 10))
    value = loss(
        pooled_s=pooled_s,
        pooled_t=pooled_t,
        sample_idx=sample_idx,
        contrast_idx=contrast_idx)
    assert value.item() == pytest.approx(expected, rel=1e-10)
    assert loss.z_s.item() == pytest.approx(z_s, rel=1e-12)


def test_momentum_update_of_both_banks():
    torch.manual_seed(1)
    loss = small_loss(momentum=0.3)
    pooled_s, pooled_t = torch.randn(2, 5).double(), torch.randn(2, 6).double()
    before_s, before_t = loss.memory_s.clone(), loss.memory_t.clone()
    v_s = torch.tensor(embed(loss.embed_s.linear, pooled_s), dtype=torch.double)
    v_t = torch.tensor(embed(loss.embed_t.linear, pooled_t), dtype=torch.double)
    loss(
        pooled_s=pooled_s,
        pooled_t=pooled_t,
        sample_idx=torch.tensor([2, 8]),
        contrast_idx=torch.tensor([[2, 0, 1, 3], [8, 9, 9, 0]]))
    for bank, before, v in ((loss.memory_s, before_s, v_s), (loss.memory_t, before_t,
                                                             v_t)):
        for row, idx in enumerate((2, 8)):
            mixed = 0.3 * before[idx] + 0.7 * v[row]
            torch.testing.assert_close(bank[idx], mixed / mixed.norm())
        untouched = [i for i in range(10) if i not in (2, 8)]
        torch.testing.assert_close(bank[untouched], before[untouched])


def test_banks_initialisation_and_state_dict_round_trip():
    loss = MODELS.build(
        dict(
            type='CRDLoss',
            student_channels=8,
            teacher_channels=8,
            num_data=1000,
            feat_dim=12,
            num_negatives=5))
    bound = 1 / math.sqrt(12 / 3)
    for bank in (loss.memory_s, loss.memory_t):
        assert bank.shape == (1000, 12)
        assert bank.abs().max() <= bound and bank.abs().max() > 0.9 * bound
    assert torch.isnan(loss.z_s) and torch.isnan(loss.z_t)
    state = loss.state_dict()
    assert {'memory_s', 'memory_t', 'z_s', 'z_t'} <= set(state)
    loss(
        pooled_s=torch.randn(3, 8),
        pooled_t=torch.randn(3, 8),
        sample_idx=torch.tensor([0, 1, 2]),
        contrast_idx=torch.randint(0, 1000, (3, 6)))
    restored = MODELS.build(
        dict(
            type='CRDLoss',
            student_channels=8,
            teacher_channels=8,
            num_data=1000,
            feat_dim=12,
            num_negatives=5))
    restored.load_state_dict(loss.state_dict())
    for name in ('memory_s', 'memory_t', 'z_s', 'z_t'):
        torch.testing.assert_close(getattr(restored, name), getattr(loss, name))
    assert not torch.isnan(restored.z_s)


def test_index_outside_the_banks_and_wrong_k_are_explained():
    loss = small_loss()
    kwargs = dict(
        pooled_s=torch.randn(2, 5).double(), pooled_t=torch.randn(2, 6).double())
    with pytest.raises(ValueError, match='num_data=10'):
        loss(
            **kwargs,
            sample_idx=torch.tensor([3, 10]),
            contrast_idx=torch.tensor([[3, 0, 5, 9], [10, 1, 1, 4]]))
    with pytest.raises(ValueError, match='same num_negatives'):
        loss(
            **kwargs,
            sample_idx=torch.tensor([3, 4]),
            contrast_idx=torch.tensor([[3, 0, 5], [4, 1, 1]]))


def test_gradients_reach_both_heads_not_the_banks():
    torch.manual_seed(0)
    loss = small_loss()
    pooled_s = torch.randn(2, 5, dtype=torch.double, requires_grad=True)
    value = loss(
        pooled_s=pooled_s,
        pooled_t=torch.randn(2, 6).double(),
        sample_idx=torch.tensor([0, 1]),
        contrast_idx=torch.tensor([[0, 2, 3, 4], [1, 5, 6, 7]]))
    value.backward()
    assert pooled_s.grad.abs().sum() > 0
    assert all(p.grad is not None for p in loss.parameters())
    assert not loss.memory_s.requires_grad


# ------------------------------------------------------------------ dataset wrapper
def contrastive(*args, **kwargs) -> ContrastiveIndexDataset:
    """A wrapper whose epoch is set (ContrastiveEpochHook's job in a run)."""
    dataset = ContrastiveIndexDataset(*args, **kwargs)
    dataset.set_epoch(0)
    return dataset


def synthetic(num_samples=60, num_classes=6, pipeline=PACK):
    return dict(
        type='SyntheticClsDataset',
        num_samples=num_samples,
        num_classes=num_classes,
        image_size=8,
        pipeline=pipeline)


def test_exact_mode_positive_first_negatives_of_other_classes():
    dataset = contrastive(synthetic(), num_negatives=20, seed=3)
    labels = np.arange(60) % 6
    for index in range(60):
        item = dataset[index]
        sample = item['data_samples']
        contrast = np.asarray(sample.contrast_idx)
        assert contrast.dtype == np.int64 and contrast.shape == (21, )
        assert contrast[0] == index == sample.sample_idx
        assert not np.any(labels[contrast[1:]] == labels[index])
        # 50 candidates >= K: drawn without replacement, as RepDistiller on CIFAR.
        assert len(set(contrast[1:].tolist())) == 20


def test_negatives_with_replacement_when_k_exceeds_the_pool():
    dataset = contrastive(synthetic(num_samples=4, num_classes=4), num_negatives=16)
    contrast = dataset.contrast_indices(1)
    assert contrast[0] == 1 and set(contrast[1:].tolist()) <= {0, 2, 3}


def test_relax_mode_positive_of_the_same_class():
    dataset = contrastive(synthetic(), num_negatives=10, mode='relax')
    for index in range(60):
        contrast = dataset.contrast_indices(index)
        assert contrast[0] % 6 == index % 6
        assert np.all(contrast[1:] % 6 != index % 6)


def test_draw_depends_only_on_seed_epoch_and_index():
    first = contrastive(synthetic(), num_negatives=30, seed=7)
    second = contrastive(synthetic(), num_negatives=30, seed=7)
    for index in (0, 13, 59):
        np.testing.assert_array_equal(
            first.contrast_indices(index), second.contrast_indices(index))
        np.testing.assert_array_equal(
            first.contrast_indices(index), first.contrast_indices(index))
    assert not np.array_equal(
        first.contrast_indices(5, epoch=0), first.contrast_indices(5, epoch=1))
    other_seed = contrastive(synthetic(), num_negatives=30, seed=8)
    assert not np.array_equal(first.contrast_indices(5), other_seed.contrast_indices(5))
    first.set_epoch(1)
    np.testing.assert_array_equal(
        first.contrast_indices(5), second.contrast_indices(5, epoch=1))


def loader_draws(dataset, num_workers, indices, persistent=False):
    loader = DataLoader(
        torch.utils.data.Subset(dataset, indices),
        batch_size=4,
        num_workers=num_workers,
        collate_fn=pseudo_collate,
        persistent_workers=persistent)
    return loader, lambda: {
        int(s.sample_idx): np.asarray(s.contrast_idx)
        for batch in loader
        for s in batch['data_samples']
    }


def test_draw_is_independent_of_workers_and_processes():
    dataset = contrastive(synthetic(), num_negatives=30, seed=2)
    _, single = loader_draws(dataset, 0, list(range(60)))
    reference = single()
    _, workers = loader_draws(dataset, 2, list(range(60)))
    # Two "ranks", each with its own wrapper instance and half of the indices.
    rank0 = contrastive(synthetic(), num_negatives=30, seed=2)
    rank1 = contrastive(synthetic(), num_negatives=30, seed=2)
    _, half0 = loader_draws(rank0, 0, list(range(0, 60, 2)))
    _, half1 = loader_draws(rank1, 1, list(range(1, 60, 2)))
    for draws in (workers(), {**half0(), **half1()}):
        assert sorted(draws) == sorted(reference)
        for index, contrast in reference.items():
            np.testing.assert_array_equal(draws[index], contrast)


def test_persistent_workers_see_the_epoch():
    dataset = contrastive(synthetic(num_samples=12), num_negatives=5, seed=0)
    _, draws = loader_draws(dataset, 1, list(range(12)), persistent=True)
    epoch0 = draws()
    dataset.set_epoch(1)
    epoch1 = draws()
    for index in range(12):
        np.testing.assert_array_equal(epoch0[index], dataset.contrast_indices(index, 0))
        np.testing.assert_array_equal(epoch1[index], dataset.contrast_indices(index, 1))


def test_epoch_hook_sets_the_wrapped_training_set():
    from types import SimpleNamespace

    from mmpretrain.registry import HOOKS
    dataset = contrastive(synthetic(), num_negatives=5)
    hook = HOOKS.build(dict(type='ContrastiveEpochHook'))
    for train_set in (dataset, torch.utils.data.Subset(dataset, [0, 1])):
        runner = SimpleNamespace(
            epoch=3, train_dataloader=SimpleNamespace(dataset=train_set))
        dataset.set_epoch(0)
        hook.before_train_epoch(runner)
        assert dataset.epoch == 3


def test_missing_contrast_idx_names_the_wrapper():
    samples = [DataSample(metainfo=dict(sample_idx=0)).set_gt_label(0)]
    with pytest.raises(ValueError, match='ContrastiveIndexDataset'):
        BATCH_INPUTS['contrast_idx'].getter(torch.zeros(1, 3, 8, 8), samples)


def test_getter_stacks_int64_on_the_inputs_device():
    samples = [
        DataSample(metainfo=dict(contrast_idx=np.array([i, 5, 6]))) for i in range(2)
    ]
    value = BATCH_INPUTS['contrast_idx'].getter(torch.zeros(2, 3, 8, 8), samples)
    assert value.dtype == torch.int64 and value.tolist() == [[0, 5, 6], [1, 5, 6]]


# ---------------------------------------------------------------------- end to end
def test_distiller_step_on_wrapped_synthetic_data():
    torch.manual_seed(0)
    num_data, k = 16, 8
    dataset = DATASETS.build(
        dict(
            type='ContrastiveIndexDataset',
            num_negatives=k,
            dataset=dict(
                type='SyntheticClsDataset',
                num_samples=num_data,
                num_classes=4,
                pipeline=[dict(type='RandomFlip', prob=0.5),
                          dict(type='PackInputs')])))
    dataset.set_epoch(0)
    model = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=Config.fromfile(str(MODELS_DIR / 'resnet8.py')).model,
            teacher=Config.fromfile(str(MODELS_DIR / 'resnet8x4.py')).model,
            distill_losses=dict(
                loss_crd=dict(
                    type='CRDLoss',
                    student_channels=64,
                    teacher_channels=256,
                    num_data=num_data,
                    num_negatives=k)),
            data_preprocessor=dict(num_classes=4, mean=[128.0] * 3, std=[64.0] * 3)))
    model.train()
    loader = DataLoader(dataset, batch_size=4, shuffle=True, collate_fn=pseudo_collate)
    data = model.data_preprocessor(next(iter(loader)), training=True)
    crd = model.distill_losses['loss_crd']
    bank_before = crd.memory_s.clone()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_crd'}
    assert torch.isfinite(losses['loss_crd']) and losses['loss_crd'] > 0
    sum(losses.values()).backward()
    assert crd.embed_s.linear.weight.grad.abs().sum() > 0
    assert crd.embed_t.linear.weight.grad.abs().sum() > 0
    assert model.student.backbone.conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())
    updated = [int(s.sample_idx) for s in data['data_samples']]
    assert not torch.allclose(crd.memory_s[updated], bank_before[updated])
    assert not torch.isnan(crd.z_s)
    state = model.state_dict()
    assert 'distill_losses.loss_crd.memory_t' in state
    assert 'distill_losses.loss_crd.z_t' in state


# ----------------------------------------------------------------------------- DDP
def full_batch():
    generator = torch.Generator().manual_seed(100)
    pooled_s = torch.randn(4, 5, generator=generator, dtype=torch.double)
    pooled_t = torch.randn(4, 6, generator=generator, dtype=torch.double)
    # Index 1 on both ranks (DistributedSampler's padding): written once, rank 0's.
    sample_idx = torch.tensor([0, 1, 2, 1])
    contrast_idx = torch.tensor([[0, 4, 5, 6], [1, 7, 8, 9], [2, 3, 4, 5], [1, 6, 7, 8]])
    return pooled_s, pooled_t, sample_idx, contrast_idx


def ddp_worker(rank: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as torch_dist
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.manual_seed(0)
    loss = small_loss()
    if rank == 1:  # other initial banks: rank 0's must win
        loss.memory_s.uniform_(-1, 1)
        loss.memory_t.uniform_(-1, 1)
    half = slice(2 * rank, 2 * rank + 2)
    pooled_s, pooled_t, sample_idx, contrast_idx = full_batch()
    value = loss(
        pooled_s=pooled_s[half],
        pooled_t=pooled_t[half],
        sample_idx=sample_idx[half],
        contrast_idx=contrast_idx[half])
    torch.save(dict(loss.state_dict(), value=value.detach()), f'{out_dir}/rank{rank}.pth')
    torch_dist.destroy_process_group()


def test_ddp_banks_and_z_stay_identical_on_all_ranks(tmp_path):
    import multiprocessing
    context = multiprocessing.get_context('fork')
    workers = [
        context.Process(
            target=ddp_worker, args=(rank, str(tmp_path / 'init'), str(tmp_path)))
        for rank in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    states = [torch.load(tmp_path / f'rank{r}.pth') for r in range(2)]

    # One process on the whole batch, from rank 0's initial banks.
    torch.manual_seed(0)
    single = small_loss()
    pooled_s, pooled_t, sample_idx, contrast_idx = full_batch()
    single(
        pooled_s=pooled_s,
        pooled_t=pooled_t,
        sample_idx=sample_idx,
        contrast_idx=contrast_idx)
    for name in ('memory_s', 'memory_t', 'z_s', 'z_t'):
        torch.testing.assert_close(states[0][name], states[1][name], rtol=0, atol=0)
        torch.testing.assert_close(states[0][name], getattr(single, name))


def test_a_crd_training_set_without_the_epoch_hook_is_refused():
    """Without ContrastiveEpochHook every epoch would reuse epoch 0's negatives: the
    wrapper refuses to draw before an epoch is set, naming the hook; every shipped CRD
    config lists it (no tool adds it behind the config's back)."""
    dataset = ContrastiveIndexDataset(
        dict(
            type='SyntheticClsDataset',
            num_samples=8,
            num_classes=4,
            image_size=8,
            pipeline=[dict(type='PackInputs')]),
        num_negatives=3)
    with pytest.raises(RuntimeError, match='ContrastiveEpochHook'):
        dataset[0]
    dataset.set_epoch(0)
    assert dataset[0]['data_samples'].contrast_idx.shape == (4, )
    for path in sorted((ROOT / 'configs').rglob('*.py')):
        text = path.read_text()
        if '_base_' in path.parts or 'ContrastiveIndexDataset' not in text:
            continue
        cfg = Config.fromfile(str(path))
        assert {'type': 'ContrastiveEpochHook'} in cfg.custom_hooks, path
