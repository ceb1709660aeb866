"""Backbones registered on import: the CIFAR model zoo of RepDistiller / mdistiller,
MobileNetV1, the MobileNetV2 / ShuffleNetV2 of Tf-KD and of mdistiller's Tiny-ImageNet
runs, and MMPretrain's ResNet with tappable pre-activations."""
from .cifar_base import CIFARBackbone
from .cifar_mobilenet_v2 import CIFARMobileNetV2
from .cifar_resnet import CIFARResNet
from .cifar_resnet50 import CIFARResNet50
from .cifar_shufflenet_v1 import CIFARShuffleNetV1
from .cifar_shufflenet_v2 import CIFARShuffleNetV2
from .cifar_vgg import CIFARVGG
from .cifar_wrn import CIFARWideResNet
from .mobilenet_v1 import MobileNetV1
from .stage_mobilenet_v2 import StageMobileNetV2
from .stage_shufflenet_v2 import StageShuffleNetV2
from .tap_resnet import TapResNet

__all__ = [
    'CIFARBackbone', 'CIFARMobileNetV2', 'CIFARResNet', 'CIFARResNet50',
    'CIFARShuffleNetV1', 'CIFARShuffleNetV2', 'CIFARVGG', 'CIFARWideResNet',
    'MobileNetV1', 'TapResNet', 'StageMobileNetV2', 'StageShuffleNetV2'
]
