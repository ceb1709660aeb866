# MobileNetV2 of mdistiller's Tiny-ImageNet runs, 200 classes
# (megvii-research/mdistiller@a08d46f:mdistiller/models/cifar/mv2_tinyimagenet.py, the
# same model as Tf-KD's CIFAR-100 MobileNetV2: ../tfkd/MobileNetV2.py). Convert its
# checkpoints with tools/model_converters/tinyimagenet_to_mmpretrain.py --arch MobileNetV2
_base_ = ['../tfkd/MobileNetV2.py']
model = dict(head=dict(num_classes=200))
