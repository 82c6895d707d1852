#!/usr/bin/env bash
# Two builds of ringattn's kernel-bench side by side, interleaved A B per shape so drift
# in the machine's load hits both alike: fp32 and bf16 storage, D = 64 and 128, forward
# and backward, L = 4096, 4 heads, non-causal, one thread. Prints a table of the medians
# over rounds with B's speed relative to A (docs/performance.md, "The CPU GEMM through
# oneDNN"). For a comparison that includes the ring bench, see compare_builds.sh.
#   launch/bench/compare_kernels.sh A/ringattn B/ringattn [rounds]
set -euo pipefail
a=${1:?usage: compare_kernels.sh RINGATTN_A RINGATTN_B [ROUNDS]}
b=${2:?usage: compare_kernels.sh RINGATTN_A RINGATTN_B [ROUNDS]}
rounds=${3:-2}
export RINGATTN_ALLOW_ROOT=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for round in $(seq 1 "$rounds"); do
  for dtype in fp32 bf16; do
    for d in 64 128; do
      for op in fwd bwd; do
        for side in A B; do
          bin=$a; [ "$side" = B ] && bin=$b
          "$bin" kernel-bench --op "$op" --dtype "$dtype" --head-dim "$d" --len 4096 --heads 4 --threads 1 \
            --reps 5 --warmup 1 --json | tail -1 | sed "s/^/$side /" >>"$out"
        done
      done
    done
  done
  echo "round $round of $rounds done" >&2
done
python3 - "$out" <<'PY'
import json, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    side, rec = line.split(" ", 1)
    r = json.loads(rec)
    runs[(r["dtype"], r["head_dim"], r["op"], side)].append(r)
print("| dtype | D | op | A s | B s | A GFLOP/s | B GFLOP/s | B speed / A |")
print("|---|---|---|---|---|---|---|---|")
for key in sorted({k[:3] for k in runs}, key=lambda k: (k[0] != "fp32", k[1], k[2] != "fwd")):
    a, b = (statistics.median(r["seconds"] for r in runs[key + (s,)]) for s in "AB")
    ga, gb = (statistics.median(r["gflops"] for r in runs[key + (s,)]) for s in "AB")
    print(f"| {key[0]} | {key[1]} | {key[2]} | {a:.4f} | {b:.4f} | {ga:.1f} | {gb:.1f} | {a / b:.2f}× |")
PY
