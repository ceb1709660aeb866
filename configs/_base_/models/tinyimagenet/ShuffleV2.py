# ShuffleV2 (the CRD zoo's, ../cifar/ShuffleV2.py) with 200 classes, the student of
# mdistiller's Tiny-ImageNet runs (megvii-research/mdistiller@a08d46f:
# mdistiller/models/__init__.py tiny_imagenet_model_dict). Pooling is global: on 64x64
# inputs the original's `F.avg_pool2d(out, 4)` leaves a 2x2 map whose 4096 values do not
# fit its 1024-wide `linear`, so the released code cannot run this model as written.
_base_ = ['../cifar/ShuffleV2.py']
model = dict(head=dict(num_classes=200))
