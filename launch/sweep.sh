#!/usr/bin/env bash
# A scaling sweep: every point of a config's `sweep` grid (ranks × tokens_per_rank) runs
# as one `ringattn bench` job, one after another; the records are collected into a CSV
# and plotted (gnuplot): tokens/s, GFLOP/s per rank and ring efficiency against P.
#   launch/sweep.sh RINGATTN CONFIG OUT_DIR [EXTRA BENCH ARGS...]
#   e.g. launch/sweep.sh build/release/launch/ringattn configs/sweep/cpu_node.yaml sweep-out
# Each point runs through $RINGATTN_LAUNCH (default: launch/mpirun.sh, which takes P first);
# on a cluster, set it to a wrapper around srun. Output: OUT_DIR/records.jsonl,
# OUT_DIR/sweep.csv, OUT_DIR/{tokens_per_s,gflops_per_rank,ring_efficiency}.{png,svg} and
# each point's own records in OUT_DIR/p<P>_t<T>/.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: launch/sweep.sh RINGATTN CONFIG OUT_DIR [EXTRA BENCH ARGS...]" >&2
  exit 2
fi
bin=$1 config=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
launch=${RINGATTN_LAUNCH:-$here/mpirun.sh}
mkdir -p "$out"
points=$("$bin" sweep-points --config "$config")  # a bad config fails here, exit 2
n=$(printf '%s\n' "$points" | wc -l)
i=0
while read -r p t; do
  i=$((i + 1))
  echo "sweep point $i/$n: P = $p, tokens per rank = $t"
  "$launch" "$p" "$bin" bench --config "$config" --set "bench.tokens_per_rank=$t" \
    --set "output_dir=$out/p${p}_t${t}" --jsonl "$out/records.jsonl" --json "$@" </dev/null >/dev/null
done <<<"$points"
python3 "$here/sweep_report.py" "$out/records.jsonl" "$out"
