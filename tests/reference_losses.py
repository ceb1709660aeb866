"""Driver for the loss reference values recorded from the original authors' code.

``tests/data/losses`` holds ``manifest.json`` (a copy of
``shared/reference_values/losses``) and the ``.npz`` arrays of the cases whose method is
implemented. Inputs are cast to float64 as the references were computed; the comparison
protocol and tolerances are those of the manifest's ``meta``.
"""
import json
from pathlib import Path

import numpy as np
import torch
from mmpretrain.registry import MODELS

DATA_DIR = Path(__file__).parent / 'data' / 'losses'
MANIFEST = json.loads((DATA_DIR / 'manifest.json').read_text())
TOLERANCES = MANIFEST['meta']['tolerances']


def reference_cases(*loss_types: str) -> list:
    """The manifest cases of the given registry names (pytest params, id = case name)."""
    import pytest
    cases = [case for case in MANIFEST['cases'] if case['type'] in loss_types]
    assert cases, f'no reference case for {loss_types}'
    return [pytest.param(case, id=case['case']) for case in cases]


def _is_student_input(name: str) -> bool:
    return name.endswith('_s') or name.endswith('_s_strong')


def build_call(case: dict, arrays) -> dict:
    """Keyword arguments of the recorded call; student tensors require grad."""

    def tensor(key: str, student: bool) -> torch.Tensor:
        value = torch.from_numpy(arrays[key])
        if value.is_floating_point():
            value = value.double().requires_grad_(student)
        return value

    call = {}
    for name, ref in case['call'].items():
        student = _is_student_input(name)
        if isinstance(ref, list):
            call[name] = tuple(tensor(key, student) for key in ref)
        elif isinstance(ref, str):
            call[name] = tensor(ref, student)
        else:
            call[name] = ref
    return call


def check_reference_case(case: dict, **extra_kwargs) -> None:
    """Build the case's loss, compare its value and student gradients to the record."""
    arrays = np.load(DATA_DIR / f"{case['case']}.npz")
    call = build_call(case, arrays)
    loss_module = MODELS.build(dict(type=case['type'], **case['kwargs'], **extra_kwargs))
    loss = loss_module.double()(**call)
    assert loss.dim() == 0, 'a distillation loss returns a scalar'
    np.testing.assert_allclose(
        loss.item(), case['expected_loss'], **TOLERANCES['loss'], err_msg=case['case'])

    for name, grad_keys in case.get('grad', {}).items():
        inputs = call[name] if isinstance(call[name], tuple) else (call[name], )
        keys = grad_keys if isinstance(grad_keys, list) else [grad_keys]
        grads = torch.autograd.grad(loss, inputs, retain_graph=True)
        for key, grad in zip(keys, grads):
            np.testing.assert_allclose(
                grad.numpy(),
                arrays[key].astype(np.float64),
                **TOLERANCES['grad'],
                err_msg=f"{case['case']}: d loss / d {name} ({key})")
