#!/usr/bin/env bash
# Runs COMMAND with CUDA_VISIBLE_DEVICES set to this rank's GPU on its node (the node-local
# rank from Open MPI or Slurm): one rank per GPU. Used by launch/mpirun.sh --gpus and the
# Slurm templates.
set -euo pipefail
local_rank=${OMPI_COMM_WORLD_LOCAL_RANK:-${SLURM_LOCALID:-0}}
export CUDA_VISIBLE_DEVICES=$local_rank
exec "$@"
