#!/usr/bin/env bash
# ringattn kernel-bench and PyTorch's CPU scaled_dot_product_attention (flash kernel
# forced where torch allows it) on the same shapes, one thread each, alternating A B A B.
#   launch/bench/kernel_vs_torch.sh [--quick] [--rounds N] [--out-dir DIR] [--venv DIR] path/to/ringattn
# Default: L = 4096, 4 heads, D ∈ {64, 128}, causal and not, fp32 and bf16, fwd and bwd.
# --quick: L = 1024 (a smoke test). Extra options after `--` go to kernel_vs_torch.py
# (e.g. -- --head-dims 64 --dtypes fp32). Prints a table; writes the same as JSON lines
# to DIR/kernel_vs_torch.jsonl (DIR defaults to ringattn-out/kernel_vs_torch).
# Needs the venv of launch/bench/torch_env.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: launch/bench/kernel_vs_torch.sh [--quick] [--rounds N] [--out-dir DIR] [--venv DIR] path/to/ringattn [-- extra]" >&2; exit 2; }
venv=${RINGATTN_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ringattn/torch-venv}
outdir=ringattn-out/kernel_vs_torch len=4096 rounds=3 bin= extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) len=1024; shift ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
    --out-dir) [ $# -ge 2 ] || usage; outdir=$2; shift 2 ;;
    --venv) [ $# -ge 2 ] || usage; venv=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -*) usage ;;
    *) [ -z "$bin" ] || usage; bin=$1; shift ;;
  esac
done
[ -n "$bin" ] || usage
[ -x "$bin" ] || { echo "kernel_vs_torch.sh: $bin is not an executable ringattn" >&2; exit 2; }
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null \
  || { echo "kernel_vs_torch.sh: no torch venv at $venv; run launch/bench/torch_env.sh first" >&2; exit 2; }
mkdir -p "$outdir"
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 exec "$venv/bin/python" "$here/kernel_vs_torch.py" --ringattn "$bin" \
  --out "$outdir/kernel_vs_torch.jsonl" --len "$len" --rounds "$rounds" "${extra[@]}"
