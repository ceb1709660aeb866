# mdistiller's Tiny-ImageNet schedule (megvii-research/mdistiller@a08d46f:
# configs/tiny_imagenet/dot/*.yaml): SGD 0.2, momentum 0.9 without Nesterov, weight decay
# 5e-4, 200 epochs, x0.1 when the 1-based epoch exceeds 60/120/160
# (mdistiller/engine/utils.py adjust_learning_rate; 0-based milestones 60/120/160 here:
# the same epochs), no warm-up.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=5e-4))

param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 0.2 is for batch 256; --auto-scale-lr rescales it.
auto_scale_lr = dict(base_batch_size=256)
