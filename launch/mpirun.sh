#!/usr/bin/env bash
# Launches an MPI job of ringattn on this machine:
#   launch/mpirun.sh P COMMAND [ARGS...]      e.g. launch/mpirun.sh 2 build/release/launch/ringattn bench
# Adds what a single-node CPU run needs: --oversubscribe when P exceeds the cores, no
# core binding (each rank runs a compute and a comm thread), -q (Open MPI's own banners
# about a non-zero exit are dropped: ringattn's one error line says what happened), and —
# only when run as root, as in containers and CI — Open MPI's explicit permission to do so.
set -euo pipefail
if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: launch/mpirun.sh P COMMAND [ARGS...]   (P: number of ranks)" >&2
  exit 2
fi
ranks=$1
shift
if ! command -v mpiexec >/dev/null 2>&1; then
  echo "launch/mpirun.sh: mpiexec not found; run scripts/setup.sh (Debian: openmpi-bin)" >&2
  exit 2
fi
flags=(-q -n "$ranks" --bind-to none)
if [ "$ranks" -gt "$(nproc)" ]; then flags+=(--oversubscribe); fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpiexec "${flags[@]}" "$@"
