"""Convert a CIFAR-100 checkpoint of Tf-KD (Teacher-free Knowledge Distillation) into an
MMPretrain checkpoint.

Example (the pre-trained ResNet18 of Tf-KD's release
``pretrained_teacher_models.zip``, the self-teacher of its ResNet18 runs)::

    python tools/model_converters/tfkd_to_mmpretrain.py \\
        pretrained_teacher_models/base_resnet18/best.pth.tar \\
        checkpoints/tfkd_teachers/ResNet18_cifar100.pth --arch ResNet18

The result loads with ``strict=True`` into the model of
``configs/_base_/models/tfkd/<arch>.py``. The key mapping lives in
``kd_plugin.models.backbones.zoo_checkpoint``.
"""
import functools
import os.path as osp
import sys

sys.path[:0] = [
    osp.dirname(osp.abspath(__file__)),
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
]
from converter_cli import converter_main

from kd_plugin.models.backbones.zoo_checkpoint import FAMILIES, convert_checkpoint

main = converter_main(
    functools.partial(convert_checkpoint, family='tfkd'),
    list(FAMILIES['tfkd']),
    'tfkd',
    description="Convert a Tf-KD CIFAR-100 checkpoint ({'state_dict': ...} or a raw "
    "state dict) into an MMPretrain checkpoint.",
    src_help='original checkpoint file')

if __name__ == '__main__':
    main()
