"""Distributed training on machines without CUDA (gloo), under torchrun or slurm.

MMEngine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` and wraps the model in
DDP with ``device_ids=[LOCAL_RANK]``; both fail without a GPU. When CUDA is absent we
initialise the gloo process group ourselves before the Runner exists (the Runner then
skips ``init_dist``) and give DDP ``device_ids=None``. Each process still loads
``train_dataloader.batch_size`` samples, so the effective batch is
``processes x batch_size`` exactly as with GPUs.
"""
import datetime
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config


def _export_slurm_env() -> None:
    """Translate slurm's variables into the ``env://`` ones torch reads."""
    node_list = os.environ['SLURM_NODELIST']
    master = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_ADDR', master)
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ['SLURM_LOCALID']


def setup_cpu_distributed(cfg: Config) -> None:
    """Prepare ``cfg`` (and the process group) for a CPU-only distributed launch."""
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher == 'slurm':
        _export_slurm_env()
    elif cfg.launcher != 'pytorch':
        raise ValueError(f'launcher {cfg.launcher!r} is not supported without CUDA; '
                         'use --launcher pytorch (tools/dist_train.sh) or slurm.')
    if not dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
        kwargs = {} if timeout is None else dict(
            timeout=datetime.timedelta(seconds=timeout))
        dist.init_process_group(backend='gloo', **kwargs)
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
