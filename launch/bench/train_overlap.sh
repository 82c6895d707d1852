#!/usr/bin/env bash
# The passkey demo's step under both launch styles (docs/performance.md, "Training: the
# passkey demo"): for each ringattn binary given, `train` of configs/train/passkey_cpu.yaml
# for STEPS steps (no evaluation, no checkpoints, a record every step) through
# launch/mpirun.sh ("wrapper") and plain `mpirun -np 2` (Open MPI's default binding: one
# core per rank), interleaved over ROUNDS rounds so machine noise hits every binary alike.
# Prints per binary and launcher the medians over rounds of the per-run medians (steps
# 20+) of step time, attention, communication, exposed communication (rank max) and the
# critical path's exposed communication (the busiest rank's; records.proto says why the
# two differ), with their fractions of the attention path.
# usage: launch/bench/train_overlap.sh ROUNDS STEPS BIN [BIN...]   (extra --set flags via RA_SET)
set -euo pipefail
rounds=$1 steps=$2; shift 2
here=$(cd "$(dirname "$0")/../.." && pwd)
cfg=$here/configs/train/passkey_cpu.yaml
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
summary=$tmp/summary.jsonl
for round in $(seq "$rounds"); do
  for i in $(seq $#); do
    bin=${!i}
    for launcher in wrapper plain; do
      out=$tmp/run-$round-$i-$launcher
      if [ "$launcher" = plain ]; then
        launch=(mpirun -np 2); [ "$(id -u)" = 0 ] && launch+=(--allow-run-as-root)
      else
        launch=("$here/launch/mpirun.sh" 2)
      fi
      # shellcheck disable=SC2086
      "${launch[@]}" "$bin" train --config "$cfg" --out-dir "$out" --steps "$steps" --set train.eval_every=0 \
        --set train.log_every=1 --set train.checkpoint_every=0 ${RA_SET:-} >"$out.log" 2>&1 ||
        { echo "run failed: $bin ($launcher): $(tail -3 "$out.log")" >&2; exit 1; }
      python3 - "$out/records.jsonl" "$i" "$launcher" >>"$summary" <<'PY'
import json, statistics as st, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"train_step"' in l]
r = [x for x in r if x["step"] >= 20]
med = lambda k: st.median(x[k] for x in r)
keys = ("step_seconds", "attention_seconds", "comm_seconds", "exposed_comm_seconds", "exposed_comm_fraction",
        "critical_exposed_comm_seconds", "critical_exposed_comm_fraction")
print(json.dumps({"bin": int(sys.argv[2]), "launcher": sys.argv[3],
                  **{k: med(k) if k in r[0] else None for k in keys}}))  # older binaries lack critical_*
PY
    done
  done
done
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $rounds rounds of $steps steps; medians over rounds"
python3 - "$summary" "$@" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bins = sys.argv[2:]
print("| binary | launcher | step s | attention s | communication s | exposed s (fraction) | critical path exposed s (fraction) |")
print("|---|---|---|---|---|---|---|")
for i, b in enumerate(bins, 1):
    for launcher in ("wrapper", "plain"):
        sel = [r for r in rows if r["bin"] == i and r["launcher"] == launcher]
        m = lambda k: st.median(r[k] for r in sel)
        crit = ("%.4f (%.2f)" % (m("critical_exposed_comm_seconds"), m("critical_exposed_comm_fraction"))
                if sel[0]["critical_exposed_comm_seconds"] is not None else "–")
        print(f"| {b} | {launcher} | {m('step_seconds'):.4f} | {m('attention_seconds'):.4f} | {m('comm_seconds'):.4f} "
              f"| {m('exposed_comm_seconds'):.4f} ({m('exposed_comm_fraction'):.2f}) | {crit} |")
PY
