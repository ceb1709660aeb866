"""Convert a RepDistiller / mdistiller CIFAR checkpoint into an MMPretrain checkpoint.

Example (a CRD teacher from mdistiller's ``cifar_teachers.tar``)::

    python tools/model_converters/mdistiller_to_mmpretrain.py \\
        cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth \\
        checkpoints/resnet32x4_cifar100.pth --arch resnet32x4

The result loads with ``strict=True`` into the model of
``configs/_base_/models/cifar/<arch>.py`` (e.g. as a distiller's teacher checkpoint).
The key mapping lives in ``kd_plugin.models.backbones.cifar_checkpoint``.
"""
import os.path as osp
import sys

sys.path[:0] = [
    osp.dirname(osp.abspath(__file__)),
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
]
from converter_cli import converter_main

from kd_plugin.models.backbones.cifar_checkpoint import CIFAR_ARCHS, convert_checkpoint

main = converter_main(
    convert_checkpoint,
    CIFAR_ARCHS,
    'cifar',
    description='Convert a RepDistiller / mdistiller CIFAR checkpoint '
    "({'model': state_dict} or a raw state dict) into an MMPretrain checkpoint.",
    src_help='original checkpoint file')

if __name__ == '__main__':
    main()
