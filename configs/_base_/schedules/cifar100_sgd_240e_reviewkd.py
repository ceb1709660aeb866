# The official ReviewKD CIFAR-100 schedule (and ER-KD's ER-ReviewKD copy): SGD lr 0.1,
# momentum 0.9, Nesterov, weight decay 5e-4 on every trainable parameter (student and
# ABFs), 240 epochs, x0.1 decays, for one process with batch 128.
#   dvlab-research/ReviewKD@cede6ea6387ae9b6127de0e561507177bf19c11e:CIFAR-100/train.py
#     (l.25-33 epochs, lr, gamma, lr_adjust_step [150, 180, 210], wd; l.178-179 SGD),
#   cpsu00/ER-KD@42aa4f19f0942876b9cdea18838b5b808c64f2b2:ER-ReviewKD/CIFAR-100/train.py
#     (l.36, l.195-196).
# Milestones: the originals call util/misc.py `lr_schedule` at the END of 0-based epoch
# 150 (180, 210), so the lower lr starts with 0-based epoch 151 (181, 211), one epoch
# later than mdistiller's decays; MMEngine's milestone m decays at the start of 0-based
# epoch m. ShuffleNet / MobileNetV2 students use lr 0.02 (train.py l.168-169): their
# configs override it.
_base_ = ['./cifar100_sgd_240e.py']

optim_wrapper = dict(optimizer=dict(lr=0.1, nesterov=True))

param_scheduler = dict(milestones=[151, 181, 211])

# lr 0.1 is for one process with batch 128; --auto-scale-lr rescales it.
auto_scale_lr = dict(base_batch_size=128)
