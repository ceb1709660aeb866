# CIFAR-100 as Tf-KD trains on it (yuanli2333/Teacher-free-Knowledge-Distillation@d000ab3:
# data_loader.py, fetch_dataloader with augmentation "yes"): RandomCrop(32, padding 4),
# horizontal flip, then RandomRotation(15) (uniform in [-15, 15] degrees, nearest, black
# fill, torchvision's on the PIL image); normalised with (0.50708, 0.48655, 0.44092) /
# (0.26733, 0.25644, 0.27615); batch 128 for training and testing (params.json
# batch_size).
_base_ = ['./cifar100_bs64.py']

data_preprocessor = dict(
    # data_loader.py's constants on the 0-255 scale (x 255).
    mean=[129.30416560546874, 124.06996269531249, 112.43405005859375],
    std=[68.17024289920622, 65.39180804385752, 70.41837018804943],
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # CIFAR images are stored RGB: no channel swap on the way to PIL and back.
    dict(type='NumpyToPIL', to_rgb=False),
    dict(type='torchvision/RandomRotation', degrees=15),
    dict(type='PILToNumpy', to_bgr=False),
    dict(type='PackInputs'),
]

train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)
