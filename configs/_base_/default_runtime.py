# Runtime shared by every kd_plugin config (MMPretrain's defaults plus the plugin import).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['kd_plugin'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # The papers report the best test top-1 over training: keep that checkpoint too.
    # MMEngine's CheckpointHook with crash-safe writes (a checkpoint appears under its
    # name only when complete; old ones are removed after the new one is in place) and
    # a disk-space check before the first epoch (kd_plugin/engine/atomic_checkpoint.py).
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # Reseeds the augmentation RNGs from (seed, epoch, rank) each epoch, in the DataLoader
    # workers too, so --resume continues with the draws an uninterrupted run makes
    # (kd_plugin/engine/epoch_seed.py).
    epoch_seed=dict(type='EpochSeedHook'),
    # MMEngine's checkpoint loading through kd_plugin's allow-list while the run lasts
    # (torch >= 2.6 refuses runner checkpoints otherwise;
    # kd_plugin/engine/safe_loading.py). Switch off with default_hooks =
    # dict(safe_checkpoint_loading=None).
    safe_checkpoint_loading=dict(type='SafeCheckpointLoadingHook'),
    # Refuses an empty training set; --resume falls back to the newest complete
    # checkpoint, and a resume with a changed config says what changed and continues
    # with the config's schedule (kd_plugin/engine/run_check.py).
    run_check=dict(type='RunCheckHook'),
    # With a teacher_cache: refuses, before the first step, a cache built for another
    # training set (kd_plugin/engine/teacher_cache_check.py); nothing otherwise.
    teacher_cache_check=dict(type='TeacherCacheCheckHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # On machines without CUDA the tools switch this to gloo.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
