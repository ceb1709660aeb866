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
import argparse
import sys

from kd_plugin.models.backbones.cifar_checkpoint import CheckpointLayoutError
from kd_plugin.models.backbones.torchvision_checkpoint import (IMAGENET_ARCHS,
                                                               convert_checkpoint)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a torchvision ResNet-18/34/50 state dict, or an mdistiller / '
        'ReviewKD MobileNetV1 checkpoint, into an MMPretrain checkpoint.')
    parser.add_argument('src', help='source checkpoint file')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--arch', required=True, choices=IMAGENET_ARCHS, metavar='ARCH',
        help='architecture of the checkpoint, one of: ' + ', '.join(IMAGENET_ARCHS))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        state_dict = convert_checkpoint(args.src, args.dst, args.arch)
    except CheckpointLayoutError as error:
        sys.exit(f'error: {error}')
    print(f'{args.src} -> {args.dst}: {len(state_dict)} entries for '
          f'configs/_base_/models/imagenet/{args.arch}.py')


if __name__ == '__main__':
    main()
