# The standard CIFAR-100 distillation schedule (CRD, mdistiller and their followers):
# SGD 0.05, momentum 0.9, weight decay 5e-4, 240 epochs, x0.1 after epochs 150/180/210.
# The originals count epochs from 1 and decay when epoch > 150; MMEngine counts from 0,
# so milestone 150 decays at the same epoch. MobileNetV2/ShuffleNet students use lr 0.01.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))

param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 0.05 is for one process with batch 64; --auto-scale-lr rescales it.
auto_scale_lr = dict(base_batch_size=64)
