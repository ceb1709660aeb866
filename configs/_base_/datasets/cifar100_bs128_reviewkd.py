# CIFAR-100 as the official ReviewKD CIFAR code trains (and as ER-KD's ER-ReviewKD copy):
# batch 128, RandomCrop(32, pad 4) + flip, and the CIFAR-10 normalisation statistics
# Normalize((125.3, 123.0, 113.9) / 255, (63.0, 62.1, 66.7) / 255) on 0-1 images, i.e.
# these values on the 0-255 scale:
#   dvlab-research/ReviewKD@cede6ea6387ae9b6127de0e561507177bf19c11e:CIFAR-100/train.py
#     (l.23 batch_size 128; l.96-100 normalize, crop, flip),
#   cpsu00/ER-KD@42aa4f19f0942876b9cdea18838b5b808c64f2b2:ER-ReviewKD/CIFAR-100/train.py
#     (l.32, l.113).
# The rest (data root, test pipeline) is the RepDistiller/mdistiller CIFAR-100 base's.
_base_ = ['./cifar100_bs64.py']

data_preprocessor = dict(mean=[125.3, 123.0, 113.9], std=[63.0, 62.1, 66.7])

train_dataloader = dict(batch_size=128)
