"""Convert a torchvision ResNet or an mdistiller / ReviewKD MobileNetV1 checkpoint into an
MMPretrain checkpoint.

Example (the ResNet-34 teacher of mdistiller's ImageNet R34 -> R18 pair)::

    python tools/model_converters/torchvision_to_mmpretrain.py \\
        resnet34-333f7ec4.pth checkpoints/resnet34_in1k.pth --arch resnet34

The result loads with ``strict=True`` into the model of
``configs/_base_/models/imagenet/<arch>.py`` (e.g. as a distiller's teacher checkpoint).
The supported source layouts and the key mapping are described in
``kd_plugin.models.backbones.torchvision_checkpoint``.
"""
import os.path as osp
import sys

sys.path[:0] = [
    osp.dirname(osp.abspath(__file__)),
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
]
from converter_cli import converter_main

from kd_plugin.models.backbones.torchvision_checkpoint import (
    IMAGENET_ARCHS,
    convert_checkpoint,
)

main = converter_main(
    convert_checkpoint,
    IMAGENET_ARCHS,
    'imagenet',
    description='Convert a torchvision ResNet-18/34/50 state dict, or an mdistiller / '
    'ReviewKD MobileNetV1 checkpoint, into an MMPretrain checkpoint.',
    src_help='source checkpoint file')

if __name__ == '__main__':
    main()
