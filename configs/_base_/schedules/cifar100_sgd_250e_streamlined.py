# StreamLined's distillation trainer (May 2025, the code of the README numbers cited by
# configs/skd and configs/clkd): SGD lr 0.1 for every student, momentum 0.9, weight decay
# 4e-5 on the student's parameters, 250 epochs, lr x0.1 at the start of (0-based)
# epochs 150, 180 and 210; batch 64 (the data base), one process.
# HyunJunSik/StreamLined@0e1ede7:CIFAR-100/Utils/distillation_train.py
# (AugTrainer.init_optimizer, AugTrainer.train). An epoch is a pass over the data
# base's training set: 100k samples with cifar100_bs64_streamlined.py.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=4e-5))

param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=250, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=64)
