#!/usr/bin/env bash
# Predicted against measured (issue 15, docs/scaling.md "Validation"): calibrates this
# machine (`ringattn calibrate`, on as many ranks as each point runs), then for every point of a grid runs `ringattn plan
# --for bench --json` and `ringattn bench --json` on the same config and prints one row
# per point: predicted and measured forward/backward seconds, their relative errors, and
# predicted (the memory model's tensors in the phases the bench samples + the process's
# own memory, measured on a 64-token bench) against measured peak RSS per rank.
#
#   scripts/plan_validate.sh BUILD_DIR OUT_DIR [--quick]
#
# Writes OUT_DIR/validation.csv, OUT_DIR/validation.md (the table docs/scaling.md
# carries), the plots OUT_DIR/validation_{time,memory}.png (scripts/plan_validate_report.py)
# and OUT_DIR/profile_p{1,2}.yaml. Targets: step time within ±15 %, peak memory within
# ±10 %. A benchmark, not a test: run it on a quiet machine (nothing else running).
set -euo pipefail
build=$1 out=$2 quick=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
ringattn="$build/launch/ringattn"
mpirun_sh="$root/launch/mpirun.sh"
mkdir -p "$out"
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p' | head -1), model $(lscpu | sed -n 's/^Model: *//p' | head -1)), $(nproc) cores"

if [ "$quick" = --quick ]; then
  ranks=(2) tokens=(1024) dtypes=(fp32) windows=(0)
else
  ranks=(1 2) tokens=(1024 4096 16384) dtypes=(fp32 bf16) windows=(0 2048)
fi
# A profile describes the machine running that many ranks (a kernel alone runs ~5 %
# faster than beside another rank's): one per ring size, as a user calibrates the node
# the way the job will use it.
for p in "${ranks[@]}"; do
  "$mpirun_sh" "$p" "$ringattn" calibrate --out "$out/profile_p$p.yaml" >"$out/calibrate_p$p.log" 2>&1
done
echo "ranks,tokens_per_rank,dtype,window,pred_fwd_s,meas_fwd_s,pred_bwd_s,meas_bwd_s,fwd_err,bwd_err,pred_rss_bytes,meas_rss_bytes,rss_err" >"$out/validation.csv"
# The process's own resident memory (libraries, MPI, threads, the GEMM library's buffers:
# the fp32 and bf16 paths touch different ones), measured per ring size and dtype: a
# 64-token bench's peak RSS less what the model says its tensors take.
declare -A baseline
for p in "${ranks[@]}"; do
  for d in "${dtypes[@]}"; do
    args=(--config "$root/configs/demo.yaml" --set parallel.sp="$p" --set bench.tokens_per_rank=64
          --set attention.dtype="$d" --set bench.reps=1 --set bench.warmup=0)
    pred=$("$ringattn" plan --for bench "${args[@]}" --ranks "$p" --hardware "$out/profile_p$p.yaml" --json)
    meas=$("$mpirun_sh" "$p" "$ringattn" bench "${args[@]}" --json --out-dir "$out/run" 2>/dev/null | tail -1)
    baseline[$p$d]=$(python3 -c 'import json, sys; print(json.loads(sys.argv[2])["peak_rss_bytes"] - json.loads(sys.argv[1])["ring_phase_bytes"])' "$pred" "$meas")
  done
done
for p in "${ranks[@]}"; do
  for t in "${tokens[@]}"; do
    for d in "${dtypes[@]}"; do
      for w in "${windows[@]}"; do
        # A window only where it cuts the ring short (contiguous layout, the resolved default).
        [ "$w" -gt 0 ] && [ "$p" = 1 ] && continue
        # Medians over more repetitions where one takes milliseconds (timing noise).
        reps=$(( t <= 1024 ? 15 : t <= 4096 ? 5 : 3 ))
        args=(--config "$root/configs/demo.yaml" --set parallel.sp="$p" --set bench.tokens_per_rank="$t"
              --set attention.dtype="$d" --set attention.window="$w" --set bench.reps="$reps" --set bench.warmup=1)
        pred=$("$ringattn" plan --for bench "${args[@]}" --ranks "$p" --hardware "$out/profile_p$p.yaml" --json)
        sleep 1  # the previous job's processes gone (their teardown skewed the next point)
        meas=$("$mpirun_sh" "$p" "$ringattn" bench "${args[@]}" --json --out-dir "$out/run" 2>/dev/null | tail -1)
        python3 - "$p" "$t" "$d" "$w" "$pred" "$meas" "${baseline[$p$d]}" >>"$out/validation.csv" <<'PY'
import json, sys
p, t, d, w, pred, meas, base = sys.argv[1:8]
a, b = json.loads(pred), json.loads(meas)
# What the bench's peak RSS samples: the inputs and ring phases' tensors + the process.
prss = a["ring_phase_bytes"] + int(base)
err = lambda x, y: (x - y) / y
print(",".join(map(str, [p, t, d, w, a["fwd_seconds"], b["fwd_seconds"], a["bwd_seconds"], b["bwd_seconds"],
                         round(err(a["fwd_seconds"], b["fwd_seconds"]), 4), round(err(a["bwd_seconds"], b["bwd_seconds"]), 4),
                         prss, b["peak_rss_bytes"], round(err(prss, b["peak_rss_bytes"]), 4)])))
PY
      done
    done
  done
done

python3 "$root/scripts/plan_validate_report.py" "$out" "$cpu"
