#!/usr/bin/env bash
# The first thing to run on a machine with a GPU (one H100/H200 and 16 cores: under 10
# minutes). One prepared sequence, one JSONL summary, one PASS/FAIL table:
#   1 build      configure for sm_90 only and build ringattn and the GPU tests
#   2 selftest   the CUDA attention kernels against the CPU kernels on the GPU, TFLOP/s,
#                in both precisions (fast: P, dS rounded to bf16/fp16; exact: fp32)
#   3 cublas     the cuBLAS GEMM wrapper on the GPU against the CPU reference (every
#                GEMM shape the model issues)
#     streams    host-worker streams, cross-kind events and the CUDA stager on the GPU
#   4 bench-nccl ring bench, attention.backend = cuda, comm.backend = nccl, P = 1
#   5 bench-mpi  ring bench, cuda over mpi (staged through pinned memory), P = 2 ranks
#                sharing the one GPU
#   6 train      50 training steps of the passkey model (configs/train/passkey_cpu.yaml)
#                on the GPU (cuda, nccl, P = 1) against the cpu backend's loss curve:
#                PASS when every step's loss is within 2^-9 relative of the CPU's
#
#   scripts/gpu_check.sh [--dry-run] [--prebuilt BUILD_DIR] [--out DIR]
#
# --dry-run runs the same sequence here, without a GPU, on the `simt` backend (the CUDA
# kernels under the SIMT emulator) at small sizes, with a prebuilt tree (ctest runs it:
# tests/cli). --prebuilt skips step 1 (a tree configured with CUDA on). Exit 0 when no
# step FAILed; the summary is <out>/gpu_check.jsonl (one record per step) and the table
# goes to stdout. docs/gpu.md reads the output line by line.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dry=0 prebuilt="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry=1; shift ;;
    --prebuilt) prebuilt=${2:?--prebuilt needs a build directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) echo "usage: scripts/gpu_check.sh [--dry-run] [--prebuilt BUILD_DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
out=${out:-$root/ringattn-out/gpu_check}
mkdir -p "$out"
summary=$out/gpu_check.jsonl
: >"$summary"
export RINGATTN_ALLOW_ROOT=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
rows=()
failed=0

# record STEP STATUS SECONDS DETAIL [JSON-FIGURES]
record() {
  local step=$1 status=$2 seconds=$3 detail=$4 figures=${5:-"{}"}
  python3 - "$summary" "$step" "$status" "$seconds" "$detail" "$figures" <<'PY'
import json, sys
path, step, status, seconds, detail, figures = sys.argv[1:7]
rec = {"record": "gpu_check", "step": step, "status": status, "seconds": float(seconds), "detail": detail,
       "figures": json.loads(figures)}
open(path, "a").write(json.dumps(rec, sort_keys=True) + "\n")
PY
  rows+=("$(printf '%-15s %-5s %7.1f s  %s' "$step" "$status" "$seconds" "$detail")")
  [ "$status" = FAIL ] && failed=1
  return 0
}

# run STEP LOGFILE COMMAND... : runs, times, returns the exit code.
run() {
  local log=$2
  shift 2
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  elapsed=$((SECONDS - t0))
  return $rc
}

# 1 build
if [ -n "$prebuilt" ]; then
  build=$prebuilt
  record build SKIP 0 "prebuilt tree $build"
elif [ "$dry" = 1 ]; then
  echo "gpu_check.sh --dry-run needs --prebuilt BUILD_DIR (a configured, built tree)" >&2
  exit 2
else
  build=$root/build/gpu
  if run build "$out/build.log" bash -c "cmake -S '$root' -B '$build' -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DRA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build '$build' -j \$(nproc) \
      --target ringattn cuda_cublas_gemm_gpu_test cuda_host_stream_gpu_test"; then
    record build PASS "$elapsed" "sm_90, $(nproc) cores"
  else
    record build FAIL "$elapsed" "see $out/build.log: $(tail -1 "$out/build.log")"
  fi
fi
bin=$build/launch/ringattn
mpirun=$root/launch/mpirun.sh

if [ "$dry" = 1 ]; then
  backend=simt selftest_flags=(--emulator)
  bench_size=(--tokens-per-rank 128 --heads 4 --kv-heads 2 --head-dim 64 --reps 1 --warmup 0)
  nccl_flags=(--set attention.backend=simt --set comm.backend=mpi)
  mpi_flags=(--set attention.backend=simt --set comm.backend=mpi)
else
  backend=cuda selftest_flags=()
  bench_size=(--tokens-per-rank 32768 --heads 16 --kv-heads 4 --head-dim 128 --reps 5 --warmup 2)
  nccl_flags=(--set attention.backend=cuda --set comm.backend=nccl)
  mpi_flags=(--set attention.backend=cuda --set comm.backend=mpi)
fi

# 2 selftest, both precisions of the tensor-core products
for precision in fast exact; do
  log=$out/selftest-$precision.log
  if run selftest "$log" "$bin" selftest "${selftest_flags[@]}" --precision "$precision"; then
    record "selftest-$precision" PASS "$elapsed" "$(grep -E 'cases PASS|FAIL' "$log" | tail -1)"
  else
    record "selftest-$precision" FAIL "$elapsed" "see $log: $(grep -m1 -E 'FAIL|error' "$log")"
  fi
done

# 3 GPU unit tests: the cuBLAS wrapper against the CPU reference on every GEMM shape of
# the model; host-worker streams, cross-kind events and the CUDA stager (both skip
# themselves, saying why, without a GPU)
gtest_step() {
  local step=$1 binary=$2
  if [ ! -x "$binary" ]; then
    record "$step" SKIP 0 "not built ($binary)"
  elif run "$step" "$out/$step.log" "$binary"; then
    if grep -q "SKIPPED" "$out/$step.log"; then
      record "$step" SKIP "$elapsed" "$(grep -m1 -A1 'Skipped' "$out/$step.log" | tail -1 | cut -c1-120)"
    else
      record "$step" PASS "$elapsed" "$(grep -m1 'PASSED' "$out/$step.log")"
    fi
  else
    record "$step" FAIL "$elapsed" "see $out/$step.log: $(grep -m1 'FAILED' "$out/$step.log")"
  fi
}
gtest_step cublas "$build/tests/cuda_host/cuda_cublas_gemm_gpu_test"
gtest_step streams "$build/tests/cuda_host/cuda_host_stream_gpu_test"

# 4, 5 the ring bench: JSON record → TFLOP/s, ring efficiency, exposed communication
bench_step() {
  local step=$1 ranks=$2
  shift 2
  if run "$step" "$out/$step.log" "$mpirun" "$ranks" "$bin" bench --dtype bf16 "${bench_size[@]}" "$@" --json; then
    local parsed figures detail
    parsed=$(tail -1 "$out/$step.log" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
f = {"backend": r["backend"], "ranks": r["ranks"], "seq_len": r["seq_len"], "fwd_seconds": r["fwd_seconds"],
     "bwd_seconds": r["bwd_seconds"], "tflops": r["gflops"] / 1000, "ring_efficiency": r["ring_efficiency"],
     "exposed_comm_fraction": float(r["exposed_comm_fraction"])}
print(json.dumps(f))
print("%s P=%d L=%d: %.3g TFLOP/s, ring efficiency %.2f, exposed comm %.2f" % (
    f["backend"], f["ranks"], f["seq_len"], f["tflops"], f["ring_efficiency"], f["exposed_comm_fraction"]))')
    figures=$(head -1 <<<"$parsed")
    detail=$(tail -1 <<<"$parsed")
    record "$step" PASS "$elapsed" "$detail" "$figures"
  else
    record "$step" FAIL "$elapsed" "see $out/$step.log: $(grep -m1 'error' "$out/$step.log" | cut -c1-160)"
  fi
}
bench_step bench-nccl 1 "${nccl_flags[@]}"
bench_step bench-mpi 2 "${mpi_flags[@]}"

# 6 train: the device model's loss curve against the cpu backend's on the same config
# (scripts/train_losses_agree.py: |L_dev − L_cpu| ≤ 2⁻⁹·L_cpu at every step, why there)
train_common=(train --config "$root/configs/train/passkey_cpu.yaml" --set train.log_every=1 --set train.eval_every=0
              --set train.eval_batches=1 --set train.resume=false)
if [ "$dry" = 1 ]; then
  train_ranks=2
  train_common+=(--steps 10 --set model.d_model=32 --set model.heads=2 --set model.head_dim=16 --set model.mlp_hidden=64
                 --set model.layers=1 --set train.seq_len=64 --set train.batch_size=2 --set train.warmup_steps=2)
  train_device=(--set attention.backend=simt --set attention.dtype=bf16 --set comm.backend=mpi)
else
  train_ranks=1
  train_common+=(--steps 50)
  train_device=(--set attention.backend=cuda --set attention.dtype=bf16 --set comm.backend=nccl)
fi
rm -rf "$out/train-$backend" "$out/train-cpu"  # a fresh start: a rerun must not meet its own checkpoints
train_t0=$SECONDS
if ! run train "$out/train-$backend.log" "$mpirun" "$train_ranks" "$bin" "${train_common[@]}" "${train_device[@]}" \
    --out-dir "$out/train-$backend"; then
  record train FAIL "$((SECONDS - train_t0))" "see $out/train-$backend.log: $(grep -m1 'error' "$out/train-$backend.log" | cut -c1-160)"
elif ! run train "$out/train-cpu.log" "$mpirun" "$train_ranks" "$bin" "${train_common[@]}" --out-dir "$out/train-cpu"; then
  record train FAIL "$((SECONDS - train_t0))" "see $out/train-cpu.log (the cpu reference run): $(grep -m1 'error' "$out/train-cpu.log" | cut -c1-160)"
else
  train_secs=$((SECONDS - train_t0))
  python3 "$root/scripts/train_losses_agree.py" "$out/train-$backend/records.jsonl" "$out/train-cpu/records.jsonl" \
    >"$out/train-compare.log" 2>&1
  train_rc=$?
  train_figures=$(python3 - "$out/train-$backend/records.jsonl" "$out/train-cpu/records.jsonl" <<'PY'
import json, sys
def steps(p): return [r for r in map(json.loads, open(p)) if r["record"] == "train_step"]
dev, cpu = steps(sys.argv[1]), steps(sys.argv[2])
print(json.dumps({"steps": len(dev), "first_loss": dev[0]["loss"], "last_loss": dev[-1]["loss"],
                  "last_loss_cpu": cpu[-1]["loss"],
                  "step_seconds": sorted(r["step_seconds"] for r in dev)[len(dev) // 2],
                  "step_seconds_cpu": sorted(r["step_seconds"] for r in cpu)[len(cpu) // 2]}))
PY
  )
  train_detail="$backend P=$train_ranks: $(tail -1 "$out/train-compare.log")"
  if [ "$train_rc" = 0 ]; then
    record train PASS "$train_secs" "$train_detail" "$train_figures"
  else
    record train FAIL "$train_secs" "$train_detail (see $out/train-compare.log)" "$train_figures"
  fi
fi

echo "gpu_check ($([ "$dry" = 1 ] && echo "dry run: simt backend, no GPU" || echo "GPU: $(nvidia-smi -L 2>/dev/null | head -1)"))"
printf '%s\n' "${rows[@]}"
echo "summary: $summary"
if [ "$failed" = 0 ]; then echo "gpu_check: no step failed"; else echo "gpu_check: FAILED"; fi
exit "$failed"
