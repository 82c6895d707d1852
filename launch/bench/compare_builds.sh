#!/usr/bin/env bash
# Two builds of ringattn side by side on this machine, interleaved A B A B … so drift in
# the machine's load hits both alike: kernel-bench (the block operation alone, fwd and
# bwd) and the ring bench at P = 2, launched through launch/mpirun.sh (our wrapper) and
# through plain mpiexec with Open MPI's default binding. Prints one line per run and a
# table of medians with the ratio B/A. Used to check that a refactor left the figures
# within noise (docs/performance.md).
#   launch/bench/compare_builds.sh A/ringattn B/ringattn [rounds]
set -euo pipefail
a=${1:?usage: compare_builds.sh RINGATTN_A RINGATTN_B [ROUNDS]}
b=${2:?usage: compare_builds.sh RINGATTN_A RINGATTN_B [ROUNDS]}
rounds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
export RINGATTN_ALLOW_ROOT=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
kb=(kernel-bench --head-dim 64 --heads 4 --len 4096 --causal --threads 1 --reps 5 --json)
rb=(bench --tokens-per-rank 4096 --heads 4 --head-dim 64 --reps 5 --warmup 1 --json)
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    bin=$a; [ "$side" = B ] && bin=$b
    "$bin" "${kb[@]}" | sed "s/^/$side kernel /" >>"$out"
    "$here/../mpirun.sh" 2 "$bin" "${rb[@]}" 2>/dev/null | tail -1 | sed "s/^/$side wrapper /" >>"$out"
    mpiexec -q -n 2 "$bin" "${rb[@]}" 2>/dev/null | tail -1 | sed "s/^/$side mpiexec /" >>"$out"
  done
  echo "round $round of $rounds done" >&2
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, kind, rec = line.split(" ", 2)
    r = json.loads(rec)
    if kind == "kernel":
        rows.setdefault((f"kernel-bench {r.get('op', '?')} s", side), []).append(r["seconds"])
    else:
        for key in ("fwd_seconds", "bwd_seconds", "ring_efficiency"):
            rows.setdefault((f"bench P=2 {kind} {key}", side), []).append(r[key])
names = sorted({n for n, _ in rows})
print(f"{'figure':42} {'A median':>10} {'B median':>10} {'B/A':>7}   (n = {len(rows[(names[0], 'A')])} each)")
for n in names:
    ma, mb = statistics.median(rows[(n, "A")]), statistics.median(rows[(n, "B")])
    print(f"{n:42} {ma:10.4f} {mb:10.4f} {mb / ma:7.3f}")
PY
