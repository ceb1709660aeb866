# CRD, ResNet-50 -> MobileNetV1, ImageNet-1k (methods_feature.md 3.8 and 5.3,
# mdistiller's ImageNet settings): the pooled vectors (student 1024, teacher 2048)
# embedded to 128, two memory banks of 1281167 rows (one per training image: 2 x 656 MB
# in float32, saved in every checkpoint), K = 16384 negatives of other classes ("exact";
# drawn without replacement, mdistiller's ImageNet sampler draws with replacement), NCE
# temperature 0.07, bank momentum 0.5, weight 0.8, CE weight 1, no logit KD; 8 x 32
# images, lr 0.1 (the pair base, as mdistiller's batch 256 / lr 0.1). Reported: 71.37
# (spec 5.3, [paper*]: the DKD paper's table).
_base_ = [
    '../_base_/pairs/resnet50_mobilenet_v1_in1k.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

num_negatives = 16384
model = dict(
    distill_losses=dict(
        loss_crd=dict(
            type='CRDLoss',
            student_channels=1024,
            teacher_channels=2048,
            num_data=1281167,  # ImageNet-1k training set: one bank row per sample
            feat_dim=128,
            num_negatives=num_negatives,
            nce_temperature=0.07,
            momentum=0.5,
            loss_weight=0.8)),
    student_loss_weight=1.0)

# The loss needs each sample's contrast indices: wrap the training set.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ContrastiveIndexDataset',
        num_negatives=num_negatives,
        mode='exact',
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
# New negatives every epoch (the wrapper's draws depend on the epoch).
custom_hooks = [dict(type='ContrastiveEpochHook')]
