# MobileNetV1 (width 1.0) for ImageNet with MMClassification's initialisation, the
# student of cls_KD and MGD: Kaiming normal (fan_out, ReLU) on every conv, BatchNorm
# weight 1 / bias 0, classifier Normal(0, 0.01) with bias 0
# (yzd-v/cls_KD@ad4876fa4c5c70db5d11b892278c4090086ce935:
# mmcls/models/backbones/mobilenet_v1.py, the backbone's init_cfg;
# configs/_base_/models/mobilenet_v1_1x.py, LinearClsHead's default init_cfg; the same
# in yzd-v/MGD@2c9da0b28625eb948db57afc02c824452c3910fe:
# cls/mmcls/models/backbones/mobilenet_v1.py). The architecture is mobilenet_v1.py's,
# whose default is PyTorch's initialisation (mdistiller, ReviewKD, KD_SRRL).
_base_ = ['./mobilenet_v1.py']
model = dict(
    backbone=dict(init_cfg=[
        dict(type='Kaiming', layer=['Conv2d']),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
    ]),
    head=dict(init_cfg=dict(_delete_=True, type='Normal', layer='Linear', std=0.01)))
