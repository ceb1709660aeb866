#!/usr/bin/env bash
# Distributed training: tools/dist_train.sh CONFIG NUM_PROCESSES [train.py args]
# One process per GPU, or CPU processes with the gloo backend when CUDA is absent.
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# Refuse more processes per node than GPUs (or, without CUDA, CPU cores) before starting.
python - "$GPUS" <<'PY' || exit 1
import os
import sys

import torch

wanted = int(sys.argv[1])
gpus = torch.cuda.device_count()
limit, unit = (gpus, 'GPUs') if gpus else (os.cpu_count() or 1, 'CPU cores (no CUDA)')
if wanted > limit:
    sys.exit(f'dist_train.sh: {wanted} processes per node asked, but this machine has '
             f'{limit} {unit}. Ask for at most {limit}, or spread the job over several '
             'machines with NNODES / NODE_RANK / MASTER_ADDR.')
PY

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
exec python -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
