# KD, ResNet-34 -> ResNet-18, ImageNet-1k (kd_resnet34_resnet18_8xb64_in1k.py) with the
# teacher's logits read from a teacher-output cache instead of running the teacher
# (`teacher_cache`; kd_plugin/utils/teacher_cache.py, docs/benchmark.md).
#
# Consistent views: RecordedRandomResizedCrop gives every training image 10 fixed
# RandomResizedCrop boxes (drawn from (seed, sample index, crop)); with the flip that is
# 20 views per image, whose teacher logits the cache holds. Teacher and student always see
# the same view, but the student sees these 20 views of each image over the 100 epochs
# instead of a fresh crop every epoch (the trade-off of FKD-style caches).
#
# Build the cache once, before training (resumable; prints its size and build time; about
# 1.0 GB of top-10 logits + 0.2 GB of boxes, 25.6M teacher forwards):
#   python tools/build_teacher_cache.py \
#       configs/kd/kdcached_resnet34_resnet18_8xb64_in1k.py \
#       --topk 10 --workers 16
# It writes work_dirs/kdcached_resnet34_resnet18_8xb64_in1k/teacher_cache_top10.pth, the
# `teacher_cache` below. With top-10 logits KD (T = 1) distils the teacher's distribution
# renormalised over its 10 largest classes; a full cache (no --topk, 51 GB, file
# teacher_cache.pth) gives the online teacher's logits rounded to fp16.
#
# The cache records what it was built from. The distiller refuses it when built if the
# teacher differs (config, checkpoint tensors, teacher_input/precision, normalisation),
# and the default runtime's TeacherCacheCheckHook before the first step if the training
# set differs (samples, order, pipeline, crop seed/num_draws); both name what differs
# and the command above, with --overwrite, that rebuilds it.
_base_ = ['./kd_resnet34_resnet18_8xb64_in1k.py']

model = dict(
    teacher_cache=('work_dirs/kdcached_resnet34_resnet18_8xb64_in1k/'
                   'teacher_cache_top10.pth'))

# The pipeline of kd_resnet34_resnet18_8xb64_in1k.py (PIL decoding and resizing as
# torchvision's ImageFolder in megvii-research/mdistiller@a08d46f:
# mdistiller/dataset/imagenet.py) with recorded crops.
train_pipeline = [
    dict(
        type='LoadImageFromFile',
        imdecode_backend='pillow',
        color_type='color_ignore_orientation'),
    dict(
        type='RecordedRandomResizedCrop',
        scale=224,
        num_draws=10,
        seed=0,
        backend='pillow'),
    dict(type='RecordedRandomFlip', prob=0.5),
    # 'view_id' finds the cached logits, 'crop_box' lets the distiller check them.
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'flip', 'flip_direction', 'view_id', 'crop_box')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
