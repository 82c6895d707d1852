#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment with CPU PyTorch that the
# side-by-side benchmarks (kernel_vs_torch.sh, ring_vs_torch.sh) run in. Not part of
# scripts/setup.sh: PyTorch is only a peer to measure against, never a dependency.
#   launch/bench/torch_env.sh [VENV_DIR]
# VENV_DIR defaults to $RINGATTN_TORCH_VENV, else ${XDG_CACHE_HOME:-$HOME/.cache}/ringattn/torch-venv.
# Installs `torch` and `numpy` from PyPI with plain pip (the default PyPI wheel; on x86-64
# Linux it is the CUDA-enabled build, which runs on the CPU without a GPU). Prints the
# venv's python path and torch version on its last line.
set -euo pipefail
venv=${1:-${RINGATTN_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ringattn/torch-venv}}
command -v python3 >/dev/null 2>&1 || { echo "torch_env.sh: python3 not found (Debian: apt-get install python3 python3-venv)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  probe=$(mktemp -d)
  if ! python3 -m venv "$probe/v" >/dev/null 2>&1; then
    rm -rf "$probe"
    echo "torch_env.sh: python3 -m venv does not work here; install it (Debian: apt-get install python3-venv)" >&2
    exit 2
  fi
  rm -rf "$probe"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import torch, numpy' >/dev/null 2>&1; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check torch numpy \
    || { echo "torch_env.sh: pip install torch numpy into $venv failed (needs PyPI reachable)" >&2; exit 2; }
fi
"$venv/bin/python" -c 'import sys, torch; print(sys.executable, "torch", torch.__version__)'
