"""Tiny-ImageNet (mdistiller KD+DOT, ER-KD) and Tf-KD models: their backbones compute
what the original layouts compute, and their checkpoints convert.

The source-layout models below are written here from the originals' descriptions
(module names and computation of
megvii-research/mdistiller@a08d46f:mdistiller/models/cifar/{resnetv2,mv2_tinyimagenet}.py
and yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:model/{resnet,mobilenetv2,
shufflenetv2}.py); randomly initialised, with random BN statistics, saved as those
repositories save checkpoints, converted, and compared in float64.
"""
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS
from tool_modules import load_tool

from kd_plugin.models.backbones.checkpoint_layout import find_config_file
from kd_plugin.models.backbones.zoo_checkpoint import (
    CheckpointLayoutError,
    convert_checkpoint,
    convert_state_dict,
    expected_layout,
    original_key,
)


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Float64 grouped convolutions are far slower with 2 threads on a small CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------- source-layout models
class SourceBasicBlock(nn.Module):

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class SourceResNet18(nn.Module):

    def __init__(self, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        planes, layers = 64, []
        for index, width in enumerate((64, 128, 256, 512)):
            stride = 1 if index == 0 else 2
            layers.append(
                nn.Sequential(
                    SourceBasicBlock(planes, width, stride),
                    SourceBasicBlock(width, width, 1)))
            planes = width
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.linear = nn.Linear(512, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class SourceBottleneck(nn.Module):

    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        self.keep = stride == 1 and cin == cout
        self.residual = nn.Sequential(
            nn.Conv2d(cin, hidden, 1), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden),
            nn.BatchNorm2d(hidden), nn.ReLU6(), nn.Conv2d(hidden, cout, 1),
            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.residual(x)
        return out + x if self.keep else out


class SourceMobileNetV2(nn.Module):

    def __init__(self, num_classes):
        super().__init__()
        self.pre = nn.Sequential(
            nn.Conv2d(3, 32, 1, padding=1), nn.BatchNorm2d(32), nn.ReLU6())
        self.stage1 = SourceBottleneck(32, 16, 1, 1)
        cin = 16
        settings = ((2, 24, 2), (3, 32, 2), (4, 64, 2), (3, 96, 1), (3, 160, 1))
        for index, (repeat, cout, stride) in enumerate(settings):
            name = f'stage{index + 2}'
            units = [SourceBottleneck(cin, cout, stride, 6)]
            units += [SourceBottleneck(cout, cout, 1, 6) for _ in range(repeat - 1)]
            setattr(self, name, nn.Sequential(*units))
            cin = cout
        self.stage7 = SourceBottleneck(160, 320, 1, 6)
        self.conv1 = nn.Sequential(
            nn.Conv2d(320, 1280, 1), nn.BatchNorm2d(1280), nn.ReLU6())
        self.conv2 = nn.Conv2d(1280, num_classes, 1)

    def forward(self, x):
        x = self.pre(x)
        for index in range(1, 8):
            x = getattr(self, f'stage{index}')(x)
        x = F.adaptive_avg_pool2d(self.conv1(x), 1)
        return self.conv2(x).flatten(1)


class SourceShuffleUnit(nn.Module):

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.halves = stride == 1 and cin == cout
        width = cin // 2 if self.halves else cin
        out = width if self.halves else cout // 2
        self.residual = nn.Sequential(
            nn.Conv2d(width, width, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, groups=width), nn.BatchNorm2d(width),
            nn.Conv2d(width, out, 1), nn.BatchNorm2d(out), nn.ReLU())
        self.shortcut = nn.Sequential() if self.halves else nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin), nn.BatchNorm2d(cin),
            nn.Conv2d(cin, out, 1), nn.BatchNorm2d(out), nn.ReLU())

    def forward(self, x):
        if self.halves:
            left, right = x[:, :x.shape[1] // 2], x[:, x.shape[1] // 2:]
        else:
            left = right = x
        x = torch.cat([self.shortcut(left), self.residual(right)], 1)
        b, c, h, w = x.shape
        return x.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)


class SourceShuffleNetV2(nn.Module):

    def __init__(self, num_classes):
        super().__init__()
        self.pre = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.BatchNorm2d(24))
        cin = 24
        for name, cout, repeat in (('stage2', 116, 3), ('stage3', 232, 7), ('stage4', 464,
                                                                            3)):
            units = [SourceShuffleUnit(cin, cout, 2)]
            units += [SourceShuffleUnit(cout, cout, 1) for _ in range(repeat)]
            setattr(self, name, nn.Sequential(*units))
            cin = cout
        self.conv5 = nn.Sequential(
            nn.Conv2d(464, 1024, 1), nn.BatchNorm2d(1024), nn.ReLU())
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.pre(x))))
        return self.fc(F.adaptive_avg_pool2d(self.conv5(x), 1).flatten(1))


SOURCES = {
    ('tinyimagenet', 'ResNet18'): (SourceResNet18, 200, 64, 'model'),
    ('tinyimagenet', 'MobileNetV2'): (SourceMobileNetV2, 200, 64, 'model'),
    ('tfkd', 'ResNet18'): (SourceResNet18, 100, 32, 'state_dict'),
    ('tfkd', 'MobileNetV2'): (SourceMobileNetV2, 100, 32, 'state_dict'),
    ('tfkd', 'ShuffleNetV2'): (SourceShuffleNetV2, 100, 32, 'state_dict'),
}


def randomized(model: nn.Module) -> nn.Module:
    torch.manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2)
    return model.double().eval()


def build(family: str, arch: str) -> nn.Module:
    return MODELS.build(Config.fromfile(find_config_file(family, arch)).model)


@pytest.mark.parametrize('family, arch', list(SOURCES), ids=lambda v: str(v))
def test_converted_source_model_computes_the_same(family, arch, tmp_path):
    source_class, classes, size, key = SOURCES[(family, arch)]
    torch.manual_seed(0)
    source = randomized(source_class(classes))
    src = tmp_path / 'source.pth'
    # DataParallel prefix and a scalar beside the weights, as the originals save them.
    state = {f'module.{k}': v.float() for k, v in source.state_dict().items()}
    torch.save({key: state, 'epoch': 240}, src)
    dst = tmp_path / 'converted.pth'
    convert_checkpoint(src, dst, arch, family)

    checkpoint = torch.load(dst, map_location='cpu', weights_only=True)
    assert checkpoint['meta']['arch'] == arch and checkpoint['meta']['epoch'] == '240'
    model = build(family, arch)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    model = model.double().eval()
    inputs = torch.randn(2, 3, size, size, dtype=torch.double)
    with torch.no_grad():
        expected = source.float().double()(inputs)
        logits = model(inputs, mode='tensor')
    assert logits.shape == (2, classes)
    torch.testing.assert_close(logits, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize('arch', ['resnet32x4', 'resnet8x4', 'ShuffleV2'])
def test_crd_zoo_models_with_200_classes_round_trip(arch):
    """ER-KD's and mdistiller's Tiny-ImageNet copies of the CIFAR models: the CIFAR
    names, 200 classes, global pooling."""
    layout = expected_layout('tinyimagenet', arch)
    assert layout['head.fc.weight'][0][0] == 200
    original = {
        original_key(name, 'tinyimagenet', arch): torch.zeros(shape, dtype=dtype)
        for name, (shape, dtype) in layout.items()
    }
    assert list(convert_state_dict(original, 'tinyimagenet', arch)) == list(layout)
    model = build('tinyimagenet', arch).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64), mode='tensor').shape == (1, 200)


def test_wrong_arch_names_the_fitting_one(tmp_path):
    torch.manual_seed(0)
    state = SourceResNet18(100).state_dict()
    with pytest.raises(
            CheckpointLayoutError, match='archs that fit this checkpoint: '
            'ResNet18') as error:
        convert_state_dict(state, 'tfkd', 'ShuffleNetV2')
    assert 'missing' in str(error.value)
    with pytest.raises(CheckpointLayoutError, match=r'linear.weight \(100, 512\)'):
        convert_state_dict(state, 'tinyimagenet', 'ResNet18')  # 200 classes expected


def test_backbone_taps_and_outputs():
    mobilenet = MODELS.build(dict(type='StageMobileNetV2', out_indices=(0, 2, 3, 4, 8)))
    shapes = [tuple(out.shape[1:]) for out in mobilenet(torch.zeros(1, 3, 64, 64))]
    # The 1x1 stem with padding 1 grows the map: 66 -> 33 -> 17 -> 9.
    assert shapes == [(32, 66, 66), (24, 33, 33), (32, 17, 17), (64, 9, 9), (1280, 9, 9)]
    assert mobilenet.distill_taps['feats'] == ('pre', 'stage2', 'stage3', 'stage4',
                                               'conv1')
    shufflenet = MODELS.build(dict(type='StageShuffleNetV2', out_indices=(1, 2, 3, 4)))
    shapes = [tuple(out.shape[1:]) for out in shufflenet(torch.zeros(1, 3, 32, 32))]
    assert shapes == [(116, 16, 16), (232, 8, 8), (464, 4, 4), (1024, 4, 4)]
    with pytest.raises(ValueError, match='ratio must be one of'):
        MODELS.build(dict(type='StageShuffleNetV2', ratio=3))


def test_cli_converts(tmp_path, monkeypatch, capsys):
    tool = load_tool('tools/model_converters/tinyimagenet_to_mmpretrain.py')
    torch.manual_seed(0)
    src, dst = tmp_path / 'r18.pth', tmp_path / 'out' / 'r18.pth'
    torch.save({'model': SourceResNet18(200).state_dict()}, src)
    monkeypatch.setattr(sys, 'argv', ['x', str(src), str(dst), '--arch', 'ResNet18'])
    tool.main()
    assert 'models/tinyimagenet/ResNet18.py' in capsys.readouterr().out
    assert dst.is_file()
    monkeypatch.setattr(sys, 'argv', ['x', str(src), str(dst), '--arch', 'MobileNetV2'])
    with pytest.raises(SystemExit, match='archs that fit this checkpoint: ResNet18'):
        tool.main()
