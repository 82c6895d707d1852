#!/usr/bin/env bash
# The ring figures of docs/performance.md (issue targets on the development machine):
#   P = 2, causal, 4096 tokens/rank, D = 64, 4 heads: zigzag and contiguous, alternating in
#   ROUNDS rounds so that machine noise hits both (efficiency, speed-up per round)
#   peak memory per rank at P = 1..4 with 4096 tokens/rank
#   a causal window (W = 1024) at P = 1..4: ring steps and time stay flat in P
# usage: launch/bench/ring_targets.sh build/release/launch/ringattn OUT.jsonl [REPS] [ROUNDS]
set -euo pipefail
bin=$1 out=$2 reps=${3:-5} rounds=${4:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
run() { "$here/mpirun.sh" "$@" --reps "$reps" --jsonl "$out" --json >/dev/null; }
for _ in $(seq "$rounds"); do
  run 2 "$bin" bench --layout zigzag
  run 2 "$bin" bench --layout contiguous
done
for p in 1 2 3 4; do run "$p" "$bin" bench --layout zigzag; done
for p in 1 2 3 4; do run "$p" "$bin" bench --window 1024; done
echo "records appended to $out; summarize with launch/bench/summarize_ring.py $out"
