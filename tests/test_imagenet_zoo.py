"""ImageNet models: torchvision ResNets and the mdistiller / ReviewKD MobileNetV1,
converted.

No weights are downloaded: the torchvision models are built with ``weights=None`` and
random (seeded) parameters and BN statistics, the MobileNetV1 source model is built here
in the source layout (megvii-research/mdistiller@a08d46f:
``mdistiller/models/imagenet/mobilenetv1.py``), and every converted model must compute
the same logits and features as its source in eval mode.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from kd_plugin.models.backbones import MobileNetV1
from kd_plugin.models.backbones.cifar_checkpoint import CheckpointLayoutError
from kd_plugin.models.backbones.torchvision_checkpoint import (
    IMAGENET_ARCHS,
    convert_checkpoint,
    convert_state_dict,
    imagenet_config_file,
)
from kd_plugin.models.distillers.classification_distiller import default_tap
from kd_plugin.models.distillers.taps import ModelTaps

REPO = Path(__file__).resolve().parents[1]
CONVERTER = REPO / 'tools' / 'model_converters' / 'torchvision_to_mmpretrain.py'
RESNETS = ('resnet18', 'resnet34', 'resnet50')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """One intra-op thread: faster than two on a small, shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def build(arch: str) -> nn.Module:
    return MODELS.build(Config.fromfile(imagenet_config_file(arch)).model)


def num_params(model: nn.Module) -> int:
    return sum(param.numel() for param in model.parameters())


def randomise(model: nn.Module, seed: int, image_size: int) -> nn.Module:
    """Seeded random weights, then BN statistics of a random batch, in eval mode.

    The statistics come from one training-mode pass (so eval-mode BN normalises and
    the logits stay of order one), and are far from the default 0 / 1.
    """
    generator = torch.Generator().manual_seed(seed)
    batch_norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0, (2.0 / fan_in)**0.5, generator=generator)
                if module.bias is not None:
                    module.bias.normal_(0, 0.1, generator=generator)
        for module in batch_norms:
            module.weight.uniform_(0.25, 0.75, generator=generator)
            module.bias.normal_(0, 0.1, generator=generator)
            module.momentum = None  # cumulative average: one batch sets the statistics
        model.train()
        model(torch.rand(4, 3, image_size, image_size, generator=generator) * 4 - 1)
    for module in batch_norms:
        module.momentum = 0.1
    return model.eval()


class SourceMobileNetV1(nn.Module):
    """MobileNetV1 in the layout of mdistiller / ReviewKD: ``model.{0-13}``, ``fc``.

    Written from the description of the source model: ``model.0`` = 3x3 conv (stride 2,
    no bias), BN, ReLU; ``model.1-13`` = 3x3 depthwise conv, BN, ReLU, 1x1 conv, BN,
    ReLU; a fixed 7x7 average pool, ``fc``. Its features are those of the source's
    ``forward``: the pre-activation (BN) outputs of blocks 3, 5, 11, 13 and their ReLU.
    """

    channels = (64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024)
    strides = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)

    def __init__(self) -> None:
        super().__init__()
        layers = [
            nn.Sequential(
                nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        ]
        inp = 32
        for oup, stride in zip(self.channels, self.strides):
            layers.append(
                nn.Sequential(
                    nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                    nn.BatchNorm2d(inp), nn.ReLU(),
                    nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup),
                    nn.ReLU()))
            inp = oup
        layers.append(nn.AvgPool2d(7))
        self.model = nn.Sequential(*layers)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x: Tensor) -> Dict[str, object]:
        preact = []
        start = 0
        for end in (3, 5, 11, 13):
            x = self.model[start:end](x if not preact else F.relu(x))
            x = self.model[end][:-1](x)
            preact.append(x)
            start = end + 1
        pooled = self.model[14](F.relu(x)).flatten(1)
        return dict(
            logits=self.fc(pooled),
            pooled=pooled,
            preact_feats=preact,
            feats=[F.relu(f) for f in preact])


def record(model: nn.Module, inputs: Tensor) -> Dict[str, object]:
    """Logits plus the default distillation taps, as the distiller records them."""
    names = ('feats', 'preact_feats', 'pooled')
    taps = ModelTaps(model, {name: default_tap(model, name, 'student')
                             for name in names}, 'student')
    with torch.no_grad(), taps.recording():
        logits = model(inputs, mode='tensor')
    return dict(taps.collect(), logits=logits)


@pytest.mark.parametrize('arch', RESNETS)
def test_torchvision_resnet_converts_exactly(arch, tmp_path):
    source = randomise(getattr(torchvision.models, arch)(weights=None), 0, 64)
    state_dict = source.state_dict()
    if arch == 'resnet34':
        # Like torchvision's original weight files (PyTorch < 0.4.1): no BN counters.
        state_dict = {
            k: v
            for k, v in state_dict.items() if 'num_batches_tracked' not in k
        }
    torch.save(state_dict, tmp_path / 'source.pth')
    convert_checkpoint(tmp_path / 'source.pth', tmp_path / 'converted.pth', arch)

    checkpoint = torch.load(tmp_path / 'converted.pth', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['arch'] == arch
    assert all(isinstance(value, str) for value in checkpoint['meta'].values())
    model = build(arch)
    assert num_params(model) == num_params(source)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    model.eval()

    inputs = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = source(inputs)
        logits = model(inputs, mode='tensor')
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize('container', ['raw', 'mdistiller', 'data_parallel'])
def test_mobilenet_v1_matches_source_layout(container, tmp_path):
    source = randomise(SourceMobileNetV1(), 2, 224)
    state_dict = source.state_dict()
    saved = {
        'raw': state_dict,
        'mdistiller': {
            'model': state_dict
        },
        # pytorch/examples' ImageNet script (ReviewKD's ImageNet trainer follows it).
        'data_parallel': {
            'epoch': 100,
            'arch': 'mobilenet',
            'state_dict': {
                f'module.{k}': v
                for k, v in state_dict.items()
            }
        },
    }[container]
    torch.save(saved, tmp_path / 'source.pth')
    convert_checkpoint(tmp_path / 'source.pth', tmp_path / 'converted.pth',
                       'mobilenet_v1')

    model = build('mobilenet_v1')
    assert num_params(model) == num_params(source)
    model.load_state_dict(
        torch.load(tmp_path / 'converted.pth', weights_only=True)['state_dict'],
        strict=True)
    # float64: the fixed 7x7 average pool and the global one differ only by rounding.
    model.double().eval()
    inputs = torch.randn(
        2, 3, 224, 224, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = source.double()(inputs)
    ours = record(model, inputs)
    for key in ('logits', 'pooled'):
        torch.testing.assert_close(ours[key], expected[key], rtol=0, atol=1e-10, msg=key)
    for key in ('feats', 'preact_feats'):
        assert len(ours[key]) == len(expected[key]) == 4
        for index, (value, reference) in enumerate(zip(ours[key], expected[key])):
            torch.testing.assert_close(
                value, reference, rtol=0, atol=1e-10, msg=f'{key}[{index}]')


def test_mobilenet_v1_shapes_and_size():
    model = build('mobilenet_v1').eval()
    # MobileNets paper (arXiv:1704.04861), Table 8: 1.0 MobileNet-224 has 4.2 M
    # parameters.
    assert round(num_params(model) / 1e6, 1) == 4.2
    assert num_params(model) == num_params(SourceMobileNetV1())
    values = record(model, torch.randn(1, 3, 224, 224))
    # Source stage channels (get_stage_channels) and ReviewKD's MobileNet shapes
    # (dvlab-research/ReviewKD@cede6ea: ImageNet/models/reviewkd.py): 56, 28, 14, 7 px.
    channels = (128, 256, 512, 1024)
    sizes = (56, 28, 14, 7)
    for key in ('feats', 'preact_feats'):
        assert [tuple(v.shape) for v in values[key]] == [(1, c, s, s)
                                                         for c, s in zip(channels, sizes)]
    assert all((v >= 0).all() for v in values['feats'])
    assert any((v < 0).any() for v in values['preact_feats'])
    assert values['pooled'].shape == (1, 1024)


def test_mobilenet_v1_out_indices():
    backbone = MobileNetV1(out_indices=(0, 3, -1))
    backbone.eval()  # BaseBackbone.train() returns None, so this does not chain
    with torch.no_grad():
        outs = backbone(torch.randn(1, 3, 64, 64))
    assert [tuple(out.shape) for out in outs] == [(1, 32, 32, 32), (1, 128, 16, 16),
                                                  (1, 1024, 2, 2)]
    with pytest.raises(ValueError, match='has 14 stage outputs'):
        MobileNetV1(out_indices=(14, ))


def test_every_arch_has_a_config():
    for arch in IMAGENET_ARCHS:
        assert imagenet_config_file(arch).name == f'{arch}.py'
    with pytest.raises(ValueError, match='unknown ImageNet architecture'):
        imagenet_config_file('resnet101')


def tensors(model: nn.Module) -> Dict[str, Tensor]:
    return dict(model.state_dict())


def test_wrong_arch_names_keys_and_fitting_archs():
    resnet18 = tensors(torchvision.models.resnet18(weights=None))
    with pytest.raises(CheckpointLayoutError) as error:
        convert_state_dict(resnet18, 'resnet34')
    message = str(error.value)
    assert ("does not fit arch 'resnet34' (configs/_base_/models/imagenet/resnet34.py)"
            in message)
    assert 'names the model expects are missing: layer1.2.bn1.bias' in message
    assert message.endswith('archs that fit this checkpoint: resnet18')

    with pytest.raises(CheckpointLayoutError) as error:
        convert_state_dict(resnet18, 'mobilenet_v1')
    message = str(error.value)
    assert 'checkpoint names the model does not have: bn1.bias' in message
    assert 'names the model expects are missing: model.0.0.weight' in message
    assert 'shape mismatches: fc.weight (1000, 512) (model: (1000, 1024))' in message

    with pytest.raises(
            CheckpointLayoutError, match='fit this checkpoint: none of resnet18, '):
        convert_state_dict({'fc.weight': torch.zeros(3, 3)}, 'resnet18')
    with pytest.raises(CheckpointLayoutError, match='already converted'):
        convert_state_dict(tensors(build('resnet18')), 'resnet18')


def test_cli(tmp_path, monkeypatch, capsys):
    source = torchvision.models.resnet18(weights=None).state_dict()
    torch.save(source, tmp_path / 'resnet18.pth')
    spec = importlib.util.spec_from_file_location('torchvision_to_mmpretrain', CONVERTER)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        sys, 'argv',
        [CONVERTER.name, 'resnet18.pth', 'out/resnet18_in1k.pth', '--arch', 'resnet18'])
    tool.main()
    converted = torch.load(tmp_path / 'out' / 'resnet18_in1k.pth', weights_only=True)
    assert (
        f'resnet18.pth -> out/resnet18_in1k.pth: {len(converted["state_dict"])} entries'
        in capsys.readouterr().out)
    build('resnet18').load_state_dict(converted['state_dict'], strict=True)
    torch.testing.assert_close(
        converted['state_dict']['head.fc.weight'], source['fc.weight'], rtol=0, atol=0)

    # A wrong arch, in a separate process: exit status 1 and a message, no traceback.
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get('PYTHONPATH')])),
        OMP_NUM_THREADS='1')
    result = subprocess.run([
        sys.executable,
        str(CONVERTER), 'resnet18.pth', 'wrong.pth', '--arch', 'resnet50'
    ],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert "error: the checkpoint does not fit arch 'resnet50'" in result.stderr
    assert result.stderr.rstrip().endswith('archs that fit this checkpoint: resnet18')
    assert 'Traceback' not in result.stderr and not (tmp_path / 'wrong.pth').exists()


@pytest.mark.parametrize('depth', [18, 50])
def test_tap_resnet_equals_mmpretrain_resnet_and_exposes_preactivations(depth):
    from mmpretrain.registry import MODELS

    from kd_plugin.models.distillers import ModelTaps
    torch.manual_seed(depth)
    reference = MODELS.build(dict(type='ResNet', depth=depth, out_indices=(0, 1, 2, 3)))
    tapped = MODELS.build(dict(type='TapResNet', depth=depth, out_indices=(0, 1, 2, 3)))
    tapped.load_state_dict(reference.state_dict(), strict=True)
    reference.eval()
    tapped.eval()  # MMPretrain's ResNet.train() returns None: no chaining
    inputs = torch.randn(2, 3, 64, 64)
    taps = ModelTaps(tapped, dict(tapped.distill_taps), 'teacher')
    with torch.no_grad(), taps.recording():
        outputs = tapped(inputs)
    for ours, theirs in zip(outputs, reference(inputs)):
        torch.testing.assert_close(ours, theirs)
    values = taps.collect()
    for stage, (feat, preact) in enumerate(
            zip(values['feats'][1:], values['preact_feats'][1:])):
        torch.testing.assert_close(feat, outputs[stage])
        torch.testing.assert_close(feat, preact.clamp(min=0))
        assert (preact < 0).any(), 'pre-activations keep their negative part'
