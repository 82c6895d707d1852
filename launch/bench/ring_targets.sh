#!/usr/bin/env bash
# The ring figures of docs/performance.md (issue targets on the development machine):
#   P = 2, causal, 4096 tokens/rank, D = 64, 4 heads: zigzag and contiguous, alternating in
#   ROUNDS rounds so that machine noise hits both (efficiency, speed-up per round)
#   peak memory per rank at P = 1..4 with 4096 tokens/rank
#   a causal window (W = 1024) at P = 1..4: ring steps and time stay flat in P
# Launch style (RA_LAUNCHER): "wrapper" (default) runs through launch/mpirun.sh; "plain" runs
# `mpirun -np P` as a job script would, with Open MPI's default binding (one core per rank;
# --oversubscribe where P exceeds the cores, which turns binding off). Run it once per style
# into two files to compare them.
# usage: [RA_LAUNCHER=plain] launch/bench/ring_targets.sh build/release/launch/ringattn OUT.jsonl [REPS] [ROUNDS]
set -euo pipefail
bin=$1 out=$2 reps=${3:-5} rounds=${4:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
launcher=${RA_LAUNCHER:-wrapper}
run() {
  case $launcher in
    wrapper) "$here/mpirun.sh" "$@" --reps "$reps" --jsonl "$out" --json >/dev/null ;;
    plain)
      local p=$1; shift
      local extra=(); [ "$(id -u)" = 0 ] && extra+=(--allow-run-as-root)
      [ "$p" -gt "$(nproc)" ] && extra+=(--oversubscribe)
      mpirun -np "$p" "${extra[@]}" "$@" --reps "$reps" --jsonl "$out" --json >/dev/null ;;
    *) echo "RA_LAUNCHER must be wrapper or plain, got '$launcher'" >&2; exit 2 ;;
  esac
}
for _ in $(seq "$rounds"); do
  run 2 "$bin" bench --layout zigzag
  run 2 "$bin" bench --layout contiguous
done
for p in 1 2 3 4; do run "$p" "$bin" bench --layout zigzag; done
for p in 1 2 3 4; do run "$p" "$bin" bench --window 1024; done
echo "records appended to $out; summarize with launch/bench/summarize_ring.py $out"
