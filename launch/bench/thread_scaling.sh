#!/usr/bin/env bash
# Thread scaling of the CPU block operation (issue 13, item 4; docs/performance.md):
# `kernel-bench` at L = 4096, 4 heads, D = 64, fwd and bwd, fp32 and bf16, causal and not,
# on 1 thread and on every core, the two thread counts back to back in each of ROUNDS
# rounds. Prints the median GFLOP/s per cell and the speed-up (many / 1).
# usage: launch/bench/thread_scaling.sh path/to/ringattn [ROUNDS] [THREADS]
set -euo pipefail
bin=$1 rounds=${2:-3} many=${3:-$(nproc)}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
for _ in $(seq "$rounds"); do
  for op in fwd bwd; do
    for dtype in fp32 bf16; do
      for causal in "" "--causal"; do
        for t in 1 "$many"; do
          # shellcheck disable=SC2086
          "$bin" kernel-bench --op "$op" --len 4096 --heads 4 --head-dim 64 --dtype "$dtype" $causal --threads "$t" \
            --reps 3 --json | tail -1 | python3 -c 'import json,sys; r=json.load(sys.stdin); r["_t"]=int(sys.argv[1]); print(json.dumps(r))' "$t" >>"$tmp"
        done
      done
    done
  done
done
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores; $rounds rounds, medians"
python3 - "$tmp" "$many" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
many = int(sys.argv[2])
def key(r): return (r.get("op"), r.get("dtype"), bool(r.get("causal")))
print(f"| op | dtype | causal | 1 thread GFLOP/s | {many} threads GFLOP/s | speed-up |")
print("|---|---|---|---|---|---|")
for k in sorted({key(r) for r in rows}):
    g = lambda t: st.median(r["gflops"] for r in rows if key(r) == k and r["_t"] == t)
    print(f"| {k[0]} | {k[1]} | {'yes' if k[2] else 'no'} | {g(1):.1f} | {g(many):.1f} | {g(many) / g(1):.2f}x |")
PY
