"""Convert a RepDistiller / mdistiller CIFAR checkpoint into an MMPretrain checkpoint.

Example (a CRD teacher from mdistiller's ``cifar_teachers.tar``)::

    python tools/model_converters/mdistiller_to_mmpretrain.py \\
        cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth \\
        checkpoints/resnet32x4_cifar100.pth --arch resnet32x4

The result loads with ``strict=True`` into the model of
``configs/_base_/models/cifar/<arch>.py`` (e.g. as a distiller's teacher checkpoint).
The key mapping lives in ``kd_plugin.models.backbones.cifar_checkpoint``.
"""
import argparse
import sys

from kd_plugin.models.backbones.cifar_checkpoint import (CIFAR_ARCHS, CheckpointLayoutError,
                                                         convert_checkpoint)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a RepDistiller / mdistiller CIFAR checkpoint '
        "({'model': state_dict} or a raw state dict) into an MMPretrain checkpoint.")
    parser.add_argument('src', help='original checkpoint file')
    parser.add_argument('dst', help='output file')
    parser.add_argument(
        '--arch', required=True, choices=CIFAR_ARCHS, metavar='ARCH',
        help='architecture of the checkpoint, one of: ' + ', '.join(CIFAR_ARCHS))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        state_dict = convert_checkpoint(args.src, args.dst, args.arch)
    except CheckpointLayoutError as error:
        sys.exit(f'error: {error}')
    print(f'{args.src} -> {args.dst}: {len(state_dict)} entries for '
          f'configs/_base_/models/cifar/{args.arch}.py')


if __name__ == '__main__':
    main()
