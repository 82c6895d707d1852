#!/usr/bin/env bash
# Launches an MPI job of ringattn on this node:
#   launch/mpirun.sh [--threads T] [--gpus] P COMMAND [ARGS...]
#   e.g. launch/mpirun.sh 2 build/release/launch/ringattn bench --config configs/demo.yaml
#
#   P            ranks (the ring's sp × dp)
#   --threads T  kernel threads per rank (attention.threads): each rank is bound to T
#                cores of its own when P × T fits the node; otherwise ranks are not bound
#   --gpus       one rank per GPU: rank i of the node sees only GPU i (CUDA_VISIBLE_DEVICES)
#
# It adds what a single node needs: --oversubscribe when P exceeds the cores, -q (Open
# MPI's own banners about a non-zero exit are dropped: ringattn's one error line says what
# happened), and — only when run as root, as in containers and CI — Open MPI's explicit
# permission to do so (ringattn itself still wants --allow-root). For several nodes use
# the Slurm templates in launch/slurm/.
set -euo pipefail
usage() { echo "usage: launch/mpirun.sh [--threads T] [--gpus] P COMMAND [ARGS...]" >&2; exit 2; }
threads=1 gpus=0
while [ $# -gt 0 ]; do
  case $1 in
    --threads) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; threads=$2; shift 2 ;;
    --gpus) gpus=1; shift ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || usage
ranks=$1
shift
command -v mpiexec >/dev/null 2>&1 || { echo "launch/mpirun.sh: mpiexec not found; run scripts/setup.sh (Debian: openmpi-bin)" >&2; exit 2; }
cores=$(nproc)
flags=(-q -n "$ranks")
if [ $((ranks * threads)) -le "$cores" ] && [ "$threads" -gt 1 ]; then
  # Each rank gets T cores of its own: its kernel threads; the comm thread sleeps between polls.
  flags+=(--map-by "slot:PE=$threads" --bind-to core)
else
  flags+=(--bind-to none)
fi
[ "$ranks" -gt "$cores" ] && flags+=(--oversubscribe)
if [ "$gpus" -eq 1 ]; then
  ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
  if [ "$ngpu" -lt "$ranks" ]; then
    echo "launch/mpirun.sh: --gpus with $ranks ranks but $ngpu GPUs on this node (one rank per GPU)" >&2
    exit 2
  fi
  # Rank i of the node sees GPU i only; the rest of the command is unchanged.
  set -- "$(dirname "$0")/rank_gpu.sh" "$@"
fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpiexec "${flags[@]}" "$@"
