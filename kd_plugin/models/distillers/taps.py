"""Record intermediate values of a model by module path, with forward hooks.

A *tap* is a module path inside a classifier, e.g. ``'backbone.layer2'`` (the module's
output), ``'head.fc:input'`` (its first positional input) or ``'head.fc:module'`` (the
module itself, e.g. a frozen teacher classifier or BN whose parameters a loss reads).
A :class:`ModelTaps` records named groups of taps during one forward pass, so the
distiller reads every feature a loss asks for from the single forward it runs anyway.
"""
from typing import Dict, List, Sequence, Tuple, Union

import torch.nn as nn
from torch import Tensor

TAP_KINDS = ('output', 'input', 'module')


def split_tap(tap: str) -> Tuple[str, str]:
    """``'head.fc:input'`` -> ``('head.fc', 'input')``; ``'backbone'`` -> ``('backbone',
    'output')``."""
    path, _, kind = tap.partition(':')
    kind = kind or 'output'
    if kind not in TAP_KINDS:
        raise ValueError(f'tap {tap!r}: the suffix must be one of '
                         f'{[":" + k for k in TAP_KINDS[1:]]} (or none for the output)')
    return path, kind


def resolve_module(model: nn.Module, path: str, owner: str) -> nn.Module:
    """The submodule at ``path``, or a ValueError that lists the valid paths nearby."""
    modules = dict(model.named_modules())
    if path in modules:
        return modules[path]
    parent = path.rsplit('.', 1)[0] if '.' in path else ''
    nearby = [name for name in modules if name and name.startswith(parent)]
    shown = nearby if len(
        nearby) <= 40 else nearby[:40] + [f'... ({len(nearby) - 40} more)']
    raise ValueError(
        f'{owner}: no module at tap path {path!r} in {type(model).__name__}. '
        f'Valid module paths{" under " + repr(parent) if parent else ""}: '
        f'{", ".join(shown) or "(none)"}')


class ModelTaps:
    """Forward hooks that record named groups of module outputs (or inputs).

    Args:
        model: The classifier to tap.
        groups: ``{name: path}`` for a single value or ``{name: [path, ...]}`` for a
            tuple of values (e.g. stage features, shallow to deep).
        owner: Used in error messages (``'student'`` / ``'teacher'``).

    Hooks stay registered for the model's lifetime and record only while
    :meth:`recording` is active, so the model behaves normally everywhere else
    (validation, export). A module hit more than once per forward is an error,
    since its value would be ambiguous.
    """

    def __init__(self, model: nn.Module, groups: Dict[str, Union[str, Sequence[str]]],
                 owner: str) -> None:
        self.owner = owner
        self.layout: Dict[str, Union[str, Tuple[str, ...]]] = {}
        self._active = False
        self._values: Dict[str, Tensor] = {}
        self._constants: Dict[str, nn.Module] = {}
        hooked = set()
        for name, paths in groups.items():
            self.layout[name] = paths if isinstance(paths, str) else tuple(paths)
            for tap in ([paths] if isinstance(paths, str) else paths):
                if tap in hooked:
                    continue
                hooked.add(tap)
                path, kind = split_tap(tap)
                module = resolve_module(model, path, owner)
                if kind == 'module':
                    self._constants[tap] = module
                else:
                    module.register_forward_hook(self._make_hook(tap, kind == 'input'))

    def _make_hook(self, tap: str, want_input: bool):

        def hook(module: nn.Module, args: tuple, output) -> None:
            if not self._active:
                return
            if tap in self._values:
                raise RuntimeError(
                    f'{self.owner}: tap {tap!r} fired twice in one forward pass (the '
                    'module is called more than once). Tap a module that runs once, '
                    'e.g. a dedicated nn.Identity() placed where the value is needed.')
            self._values[tap] = args[0] if want_input else output

        return hook

    def recording(self) -> '_Recording':
        """Context manager: record during the forward pass(es) run inside it."""
        return _Recording(self)

    def collect(self) -> Dict[str, Union[Tensor, Tuple[Tensor, ...]]]:
        """Values of the last recording, grouped as declared."""
        missing = [tap for tap in self._taps() if tap not in self._values]
        if missing:
            raise RuntimeError(
                f'{self.owner}: taps {missing} did not fire during the forward pass; '
                'the module is not on the path the model runs in this mode.')
        return {name: self._group_value(paths) for name, paths in self.layout.items()}

    def _group_value(self, paths: Union[str, Tuple[str, ...]]):
        if isinstance(paths, str):
            return self._values[paths]
        values = [self._values[path] for path in paths]
        if len(values) == 1 and isinstance(values[0], (tuple, list)):
            # One tap on a module that returns several stages (a backbone's out_indices).
            return tuple(values[0])
        return tuple(values)

    def _taps(self) -> List[str]:
        taps = []
        for paths in self.layout.values():
            taps.extend([paths] if isinstance(paths, str) else paths)
        return taps


class _Recording:

    def __init__(self, taps: ModelTaps) -> None:
        self.taps = taps

    def __enter__(self) -> ModelTaps:
        self.taps._values = dict(self.taps._constants)
        self.taps._active = True
        return self.taps

    def __exit__(self, *exc_info) -> None:
        self.taps._active = False
