#!/usr/bin/env bash
# The kernel benchmark matrix of docs/performance.md: fwd/bwd × D ∈ {64, 128} × causal
# or not × fp32/bf16 at L = 4096, 4 heads, one thread, then one point on 2 threads.
# fp32 and bf16 runs alternate, `rounds` times, so their ratio is taken under the same
# machine conditions. Writes JSON lines to stdout.
# Usage: launch/bench/kernel_matrix.sh path/to/ringattn [rounds]
set -euo pipefail
bin=$1
rounds=${2:-3}
for round in $(seq "$rounds"); do
  for d in 64 128; do
    for causal in "" "--causal"; do
      for dtype in fp32 bf16; do
        "$bin" kernel-bench --len 4096 --heads 4 --head-dim "$d" --dtype "$dtype" $causal --reps 5 --json
      done
    done
  done
done
"$bin" kernel-bench --len 4096 --heads 4 --head-dim 64 --threads 2 --reps 5 --json
