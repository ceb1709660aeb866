"""The distiller's `compile` option: compiled feature extractors, plain checkpoints, the
same losses, and no recompilation from one step to the next."""
import pytest
import torch
import torch._dynamo
from mmpretrain.registry import MODELS
from test_distiller import batch, classifier, distiller

AT = dict(loss_at=dict(type='ATLoss', loss_weight=1000.0))
TAPS = dict(feats=['backbone.layer2', 'backbone.layer3'])


def build(compile_cfg=False, seed=0):
    torch.manual_seed(seed)
    return distiller(
        distill_losses=dict(
            AT, loss_kd=dict(type='KDLoss', temperature=4.0, loss_weight=0.9)),
        student_taps=TAPS,
        teacher_taps=TAPS,
        compile=compile_cfg)


def unique_graphs() -> int:
    return torch._dynamo.utils.counters['stats']['unique_graphs']


def step(model, optimizer, inputs, samples) -> dict:
    losses = model(inputs, samples, mode='loss')
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()
    return {key: value.item() for key, value in losses.items()}


def test_compiled_steps_equal_eager_and_compile_once():
    """aot_eager traces exactly what inductor compiles (the hooks of the taps included)
    without generating code: the steps are the eager ones, and the graphs are captured
    in the first step (train) and the first validation, never again."""
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()  # per process: other tests compile too
    eager, compiled = build(), build(dict(backend='aot_eager'))
    compiled.load_state_dict(eager.state_dict())
    optimizers = [
        torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (eager, compiled)
    ]
    inputs, samples = batch(4)
    counts = []
    for _ in range(3):
        expected = step(eager.train(), optimizers[0], inputs, samples)
        assert step(compiled.train(), optimizers[1], inputs, samples) == pytest.approx(
            expected, rel=1e-5)
        compiled.eval()
        compiled(inputs, samples, mode='predict')
        counts.append(unique_graphs())
    # student backbone and teacher backbone, each in train and eval mode at most
    assert 0 < counts[0] == counts[1] == counts[2] <= 4, counts
    for name, value in eager.state_dict().items():
        torch.testing.assert_close(
            compiled.state_dict()[name], value, rtol=1e-5, atol=1e-6, msg=name)


def test_checkpoints_of_a_compiled_distiller_stay_plain():
    compiled = build(True)
    keys = list(compiled.state_dict())
    assert keys == list(build().state_dict())
    assert not any('_orig_mod' in key for key in keys)
    # a plain (eager) distiller loads them strictly, and so does the compiled one
    build().load_state_dict(compiled.state_dict(), strict=True)
    compiled.load_state_dict(build(seed=1).state_dict(), strict=True)


def test_inductor_losses_equal_eager_within_float_tolerance():
    torch._dynamo.reset()
    eager, compiled = build(), build(dict(student=True, teacher=False))
    compiled.load_state_dict(eager.state_dict())
    inputs, samples = batch(4)
    expected = eager.train()(inputs, samples, mode='loss')
    got = compiled.train()(inputs, samples, mode='loss')
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=1e-4, atol=1e-5)
    sum(got.values()).backward()
    sum(expected.values()).backward()
    for (name, a), (_, b) in zip(eager.student.named_parameters(),
                                 compiled.student.named_parameters()):
        # float32 reassociation in the fused kernels: compare whole gradients
        assert (b.grad - a.grad).norm() <= 1e-4 * a.grad.norm(), name


def test_compile_errors_name_the_key():
    with pytest.raises(ValueError, match=r"unknown key 'bakend' \(closest: 'backend'\)"):
        build(dict(bakend='inductor'))
    timm_like = dict(
        type='ClassificationDistiller',
        student=classifier(4),
        teacher=None,
        compile=dict(backend='aot_eager'))
    assert MODELS.build(timm_like).student.backbone._compiled_call_impl is not None
