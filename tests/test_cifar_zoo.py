"""CIFAR model zoo: checkpoint conversion and numerics against the original models.

``data/cifar_zoo`` is a copy of ``shared/reference_values/cifar_zoo`` (see its
README): mdistiller checkpoints with randomised BN statistics, and the eval-mode
outputs of the original mdistiller models (float64) on a fixed batch.
"""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.models.backbones import ResNet_CIFAR
from mmpretrain.models.utils import channel_shuffle
from mmpretrain.registry import MODELS
from torch import nn

from kd_plugin.models.backbones.cifar_checkpoint import (
    CIFAR_ARCHS,
    CheckpointLayoutError,
    cifar_config_file,
    convert_checkpoint,
    convert_state_dict,
    expected_layout,
    original_key,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / 'data' / 'cifar_zoo'
REFERENCE = {
    entry['arch']: entry
    for entry in json.loads((DATA / 'manifest.json').read_text())['archs']
}

# Parameter counts in millions of the originals' models (counted from
# HobbitLong/RepDistiller@b84f547: models/*.py, the same as mdistiller's CIFAR models).
ORIGINAL_PARAMS_M = {
    'resnet8': 0.08,
    'resnet14': 0.18,
    'resnet20': 0.28,
    'resnet32': 0.47,
    'resnet44': 0.67,
    'resnet56': 0.86,
    'resnet110': 1.74,
    'resnet8x4': 1.23,
    'resnet32x4': 7.43,
    'wrn_16_1': 0.18,
    'wrn_16_2': 0.70,
    'wrn_40_1': 0.57,
    'wrn_40_2': 2.26,
    'vgg8': 3.97,
    'vgg11': 9.28,
    'vgg13': 9.46,
    'vgg16': 14.77,
    'vgg19': 20.09,
    'MobileNetV2': 0.81,
    'ShuffleV1': 0.95,
    'ShuffleV2': 1.36,
    'ResNet50': 23.7,
}


def original_feat_shapes(arch: str) -> Tuple[Tuple[int, int], ...]:
    """(channels, size) of mdistiller's ``feats`` on 32x32 inputs
    (megvii-research/mdistiller@a08d46f: mdistiller/models/cifar/*.py)."""
    if arch in ('resnet8x4', 'resnet32x4'):
        return (32, 32), (64, 32), (128, 16), (256, 8)
    if arch.startswith('resnet'):
        return (16, 32), (16, 32), (32, 16), (64, 8)
    if arch.startswith('wrn'):
        width = int(arch.split('_')[2])
        return (16, 32), (16 * width, 32), (32 * width, 16), (64 * width, 8)
    return {
        'vgg': ((64, 32), (128, 16), (256, 8), (512, 4), (512, 4)),
        'MobileNetV2': ((16, 16), (12, 16), (16, 8), (48, 4), (160, 2)),
        'ShuffleV1': ((24, 32), (240, 16), (480, 8), (960, 4)),
        'ShuffleV2': ((24, 32), (116, 16), (232, 8), (464, 4)),
        'ResNet50': ((64, 32), (256, 32), (512, 16), (1024, 8), (2048, 4)),
    }['vgg' if arch.startswith('vgg') else arch]


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Run this module on one intra-op thread.

    On a small, shared CPU the float64 grouped/depthwise convolutions (MobileNetV2,
    ShuffleNets) were measured 100-1000x slower with 2 threads than with 1.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(arch: str) -> nn.Module:
    return MODELS.build(Config.fromfile(cifar_config_file(arch)).model)


def num_params(model: nn.Module) -> int:
    return sum(param.numel() for param in model.parameters())


class TapRecorder:
    """Record ``backbone.distill_taps`` and the classifier input with forward hooks.

    Follows the distiller's convention: ``path`` records the module output,
    ``path:input`` its first positional input; a second call of a tapped module in
    one forward pass is an error.
    """

    def __init__(self, model: nn.Module) -> None:
        self.values: Dict[str, torch.Tensor] = {}
        self.handles = []
        for kind, paths in model.backbone.distill_taps.items():
            for index, path in enumerate(paths):
                name, _, where = path.partition(':')
                assert where in ('', 'input'), path
                self._watch(
                    model.backbone.get_submodule(name), f'{kind}_{index}',
                    where == 'input')
        self._watch(model.head.fc, 'pooled', True)

    def _watch(self, module: nn.Module, key: str, use_input: bool) -> None:

        def hook(module, args, output):
            assert key not in self.values, f'{key}: tapped module ran twice'
            self.values[key] = args[0] if use_input else output

        self.handles.append(module.register_forward_hook(hook))

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


@pytest.mark.parametrize('arch', sorted(REFERENCE))
def test_converted_checkpoint_matches_mdistiller(arch, tmp_path):
    reference = REFERENCE[arch]
    dst = tmp_path / f'{arch}.pth'
    convert_checkpoint(DATA / reference['checkpoint'], dst, arch)

    checkpoint = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert all(
        isinstance(value, torch.Tensor) for value in checkpoint['state_dict'].values())
    assert all(isinstance(value, str) for value in checkpoint['meta'].values())
    assert checkpoint['meta']['arch'] == arch

    model = build(arch)
    assert num_params(model) == reference['num_params']
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    model = model.double().eval()
    taps = TapRecorder(model)
    io = np.load(DATA / reference['io'])
    with torch.no_grad():
        logits = model(torch.from_numpy(io['inputs']).double(), mode='tensor')

    assert logits.shape == tuple(reference['logits_shape'])
    np.testing.assert_allclose(logits.numpy(), io['logits'], rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        taps.values['pooled'].numpy(), io['pooled'], rtol=1e-7, atol=1e-8)
    assert len(model.backbone.distill_taps['feats']) == reference['feats']
    for kind in ('feats', 'preact_feats'):
        for index in range(reference['feats']):
            key = f'{kind}_{index}'
            # mdistiller's MobileNetV2 has no preact_feats; ours tap the same modules
            # as its feats (no ReLU follows those outputs).
            expected = io[key if key in io.files else f'feats_{index}']
            np.testing.assert_allclose(
                taps.values[key].numpy(), expected, rtol=1e-5, atol=1e-5, err_msg=key)


def run_converter(src: Path, dst: Path, arch: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    return subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'model_converters' / 'mdistiller_to_mmpretrain.py'),
        str(src),
        str(dst), '--arch', arch
    ],
                          cwd=dst.parent,
                          env=env,
                          capture_output=True,
                          text=True)


def test_cli_converts(tmp_path):
    dst = tmp_path / 'resnet8x4_mmpretrain.pth'
    result = run_converter(DATA / 'resnet8x4.pth', dst, 'resnet8x4')
    assert result.returncode == 0, result.stderr
    converted = torch.load(dst, weights_only=True)['state_dict']
    original = torch.load(DATA / 'resnet8x4.pth', weights_only=True)['model']
    assert len(converted) == len(original)
    torch.testing.assert_close(
        converted['backbone.layer1.0.downsample.0.weight'],
        original['layer1.0.downsample.0.weight'],
        rtol=0,
        atol=0)
    torch.testing.assert_close(
        converted['head.fc.bias'], original['fc.bias'], rtol=0, atol=0)
    build('resnet8x4').load_state_dict(converted, strict=True)


def test_cli_rejects_wrong_arch(tmp_path):
    dst = tmp_path / 'out.pth'
    result = run_converter(DATA / 'resnet8x4.pth', dst, 'resnet8')
    assert result.returncode == 1
    assert "error: the checkpoint does not fit arch 'resnet8'" in result.stderr
    assert result.stderr.rstrip().endswith('archs that fit this checkpoint: resnet8x4')
    assert 'Traceback' not in result.stderr and not dst.exists()


def test_wrong_arch_names_keys_and_fitting_archs():
    original = torch.load(DATA / 'ShuffleV2.pth', weights_only=True)['model']
    with pytest.raises(CheckpointLayoutError) as error:
        convert_state_dict(original, 'ShuffleV1')
    message = str(error.value)
    assert "arch 'ShuffleV1'" in message
    assert 'checkpoint names the model does not have: bn2.bias' in message
    assert 'shape mismatches: layer1.0.bn1.bias (24,) (model: (54,))' in message
    assert message.endswith('archs that fit this checkpoint: ShuffleV2')

    resnet = torch.load(DATA / 'resnet8.pth', weights_only=True)['model']
    with pytest.raises(
            CheckpointLayoutError,
            match='names the model expects are missing: '
            'layer1.0.downsample.0.weight'):
        convert_state_dict(resnet, 'resnet8x4')
    with pytest.raises(
            CheckpointLayoutError, match='fit this checkpoint: none of resnet8, '):
        convert_state_dict({'fc.weight': torch.zeros(3, 3)}, 'resnet8')


def test_raw_state_dict_without_num_batches_tracked(tmp_path):
    """Raw state dict (ReviewKD), PyTorch 0.4 BN buffers, DataParallel prefix."""
    original = torch.load(DATA / 'wrn_16_2.pth', weights_only=True)['model']
    raw = {
        f'module.{key}': value
        for key, value in original.items() if not key.endswith('num_batches_tracked')
    }
    torch.save(raw, tmp_path / 'raw.pth')
    converted = convert_checkpoint(tmp_path / 'raw.pth', tmp_path / 'out.pth', 'wrn_16_2')
    assert len(converted) == len(original)
    assert converted['backbone.bn1.num_batches_tracked'].dtype == torch.long
    assert converted['backbone.bn1.num_batches_tracked'].item() == 0
    torch.testing.assert_close(converted['backbone.block1.layer.0.convShortcut.weight'],
                               original['block1.layer.0.convShortcut.weight'])
    build('wrn_16_2').load_state_dict(converted, strict=True)


def test_repdistiller_extras_become_plain_meta(tmp_path):
    original = torch.load(DATA / 'resnet8.pth', weights_only=True)
    original.update(epoch=240, accuracy=torch.tensor(72.5), optimizer={'state': {}})
    torch.save(original, tmp_path / 'ckpt_epoch_240.pth')
    convert_checkpoint(tmp_path / 'ckpt_epoch_240.pth', tmp_path / 'out.pth', 'resnet8')
    meta = torch.load(tmp_path / 'out.pth', weights_only=True)['meta']
    assert meta['epoch'] == '240' and meta['accuracy'] == '72.5'
    assert meta['source'] == 'ckpt_epoch_240.pth' and meta['arch'] == 'resnet8'


def test_every_config_is_an_arch():
    configs = sorted(
        path.stem for path in (REPO / 'configs/_base_/models/cifar').glob('*.py'))
    assert configs == sorted(CIFAR_ARCHS)
    assert set(ORIGINAL_PARAMS_M) == set(CIFAR_ARCHS)


@pytest.mark.parametrize('arch', CIFAR_ARCHS)
def test_arch_builds_and_forwards(arch):
    model = build(arch).eval()
    count = num_params(model)
    if arch in REFERENCE:
        assert count == REFERENCE[arch]['num_params']
    decimals = 1 if arch == 'ResNet50' else 2
    assert round(count / 1e6, decimals) == ORIGINAL_PARAMS_M[arch], count

    taps = TapRecorder(model)
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 32, 32), mode='tensor')
    taps.remove()
    assert logits.shape == (2, 100)
    feat_shapes = original_feat_shapes(arch)
    for kind in ('feats', 'preact_feats'):
        shapes = [
            tuple(taps.values[f'{kind}_{index}'].shape)
            for index in range(len(model.backbone.distill_taps[kind]))
        ]
        assert shapes == [(2, channels, size, size)
                          for channels, size in feat_shapes], kind
    # The classifier reads the global average of the backbone's last output.
    assert taps.values['pooled'].shape == (2, model.head.in_channels)

    # Each post-activation stage output is the activation of the pre-activation one.
    for index, path in enumerate(model.backbone.distill_taps['preact_feats'][1:], 1):
        feats, preact = taps.values[f'feats_{index}'], taps.values[
            f'preact_feats_{index}']
        if arch.startswith('wrn'):  # preact = the next BN applied to the stage output
            expected = model.backbone.get_submodule(path)(feats)
            torch.testing.assert_close(preact, expected, rtol=0, atol=0)
            continue
        if arch == 'MobileNetV2':  # linear bottlenecks: no activation
            expected = preact
        elif arch == 'ShuffleV2':  # the shuffle follows the ReLU
            expected = channel_shuffle(preact.relu(), 2)
        else:
            expected = preact.relu()
        torch.testing.assert_close(feats, expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    'arch', ['resnet8', 'wrn_16_1', 'vgg8', 'MobileNetV2', 'ShuffleV1', 'ShuffleV2'])
def test_init_weights(arch):
    """The configs' init_cfg follow the original initialisation."""
    torch.manual_seed(0)
    model = build(arch)
    model.init_weights()
    convs = [
        module for module in model.backbone.modules() if isinstance(module, nn.Conv2d)
    ]
    if arch != 'ShuffleV1' and arch != 'ShuffleV2':  # PyTorch defaults there
        conv = max(convs, key=lambda module: module.weight.numel())
        fan_out = conv.weight.shape[0] * conv.weight[0, 0].numel()
        assert abs(conv.weight.std().item() / (2 / fan_out)**0.5 - 1) < 0.05
    fc = model.head.fc
    if arch in ('vgg8', 'MobileNetV2'):
        assert abs(fc.weight.std().item() / 0.01 - 1) < 0.05
    else:
        bound = fc.weight.shape[1]**-0.5
        assert fc.weight.abs().max() <= bound and fc.weight.std() > 0.5 * bound / 3**0.5
    if arch in ('vgg8', 'MobileNetV2', 'wrn_16_1'):
        assert not fc.bias.any()


def test_out_indices():
    # MMPretrain backbones' train()/eval() return None: no chaining.
    model = MODELS.build(
        dict(type='CIFARWideResNet', depth=16, widen_factor=1, out_indices=(0, 1, 2, -1)))
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 32, 32))
    assert [tuple(out.shape[1:]) for out in outs] == [(16, 32, 32), (32, 16, 16),
                                                      (64, 8, 8), (64, 8, 8)]
    assert outs[3].min() >= 0 and outs[2].min() < 0  # final BN + ReLU only on the last
    for cfg, count in ((dict(type='CIFARMobileNetV2', out_indices=tuple(range(8))),
                        8), (dict(type='CIFARShuffleNetV2', out_indices=(0, 1, 2, 3)), 4),
                       (dict(type='CIFARVGG', depth=8, out_indices=4), 1)):
        backbone = MODELS.build(cfg)
        backbone.eval()
        with torch.no_grad():
            assert len(backbone(torch.randn(1, 3, 32, 32))) == count
    with pytest.raises(ValueError, match='out of range'):
        MODELS.build(dict(type='CIFARResNet', depth=8, out_indices=(3, )))


def test_vgg_pool3_only_for_64px_inputs():
    model = MODELS.build(dict(type='CIFARVGG', depth=8, out_indices=(3, 4)))
    model.eval()
    with torch.no_grad():
        assert [out.shape[-1] for out in model(torch.randn(1, 3, 32, 32))] == [4, 4]
        assert [out.shape[-1] for out in model(torch.randn(1, 3, 64, 64))] == [8, 4]


def test_resnet50_is_mmpretrain_resnet_cifar():
    """CIFARResNet50 computes MMPretrain's ResNet_CIFAR(50) and takes its weights."""
    torch.manual_seed(0)
    ours = MODELS.build(dict(type='CIFARResNet50', out_indices=(0, 1, 2, 3)))
    theirs = ResNet_CIFAR(depth=50, out_indices=(0, 1, 2, 3))
    with torch.no_grad():
        for module in theirs.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours.eval()
    theirs.eval()
    inputs = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        for out, expected in zip(ours(inputs), theirs(inputs)):
            torch.testing.assert_close(out, expected, rtol=0, atol=0)

    # Gradient checkpointing computes the same values.
    for module in ours.modules():
        module.with_cp = True
    torch.testing.assert_close(ours(inputs.requires_grad_())[-1], theirs(inputs)[-1])

    # Original names: `shortcut` for the projection and `linear` for the classifier.
    layout = expected_layout('ResNet50')
    original = {
        original_key(name, 'ResNet50'): torch.zeros(shape, dtype=dtype)
        for name, (shape, dtype) in layout.items()
    }
    assert 'layer1.0.shortcut.0.weight' in original and 'linear.weight' in original
    assert list(convert_state_dict(original, 'ResNet50')) == list(layout)
