# Tf-KD's CIFAR-100 schedule (yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:
# main.py and train_kd.py): SGD lr 0.1 x batch / 128 (0.1 at batch 128), momentum 0.9,
# weight decay 5e-4; the first epoch warms up per iteration (utils.WarmUpLR stepped before
# each batch: lr x (i + 1) / N at batch i of N = 391, the iterations of 50000 images at
# batch 128); then MultiStepLR x0.2 at epochs 60/120/160 (stepped at the start of every
# epoch after the first: 0-based milestones), 200 epochs.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    # MMEngine's LinearLR: start_factor + (1 - start_factor) * i / (end - begin - 1),
    # i.e. (i + 1) / N at iteration i of the N = 391 of the first epoch.
    dict(type='LinearLR', start_factor=1 / 391, by_epoch=False, begin=0, end=391),
    dict(type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.2),
]

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 0.1 is for batch 128 (the original scales it linearly with the batch).
auto_scale_lr = dict(base_batch_size=128)
