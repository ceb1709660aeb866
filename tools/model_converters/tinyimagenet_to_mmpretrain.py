"""Convert a Tiny-ImageNet checkpoint of mdistiller (KD+DOT) or ER-KD into an MMPretrain
checkpoint.

Example (the teacher of mdistiller's Tiny-ImageNet runs, released as
``tiny_imagenet_teachers/ResNet18_vanilla/ti_res18``)::

    python tools/model_converters/tinyimagenet_to_mmpretrain.py \\
        tiny_imagenet_teachers/ResNet18_vanilla/ti_res18 \\
        checkpoints/tinyimagenet_teachers/ResNet18_vanilla.pth --arch ResNet18

The result loads with ``strict=True`` into the model of
``configs/_base_/models/tinyimagenet/<arch>.py``. The key mapping lives in
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
    functools.partial(convert_checkpoint, family='tinyimagenet'),
    list(FAMILIES['tinyimagenet']),
    'tinyimagenet',
    description="Convert a Tiny-ImageNet checkpoint of mdistiller or ER-KD ({'model': "
    "state_dict} or a raw state dict) into an MMPretrain checkpoint.",
    src_help='original checkpoint file')

if __name__ == '__main__':
    main()
