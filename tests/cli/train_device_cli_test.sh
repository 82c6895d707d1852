#!/usr/bin/env bash
# `ringattn train` on the simt backend (the device model: DeviceTransformer, DeviceAdamW,
# the CUDA kernels under the emulator, bf16 attention storage) on 2 ranks, a tiny model:
#   1. its loss curve tracks the cpu backend's on the same config within 2^-9 relative
#      (scripts/train_losses_agree.py says why), and a cpu run with a 2% lower learning
#      rate does NOT (the tolerance can fail);
#   2. SIGUSR1 mid-run checkpoints (params and moments downloaded to the host, the CPU
#      path's format) and the resumed run ends bitwise identical to the uninterrupted one;
#   3. data parallel (dp = 2, sp = 1: gradients through the backend's dp communicator on
#      device views) tracks the cpu backend's dp = 2 run too;
#   4. the bucketed, overlapped gradient all-reduce ends bitwise where one all-reduce
#      after the backward does.
set -uo pipefail
ringattn=$1
mpirun_sh=$2
configs=$3
agree=$4
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
steps=16
run() { "$mpirun_sh" 2 "$ringattn" train --config "$configs/train/passkey_cpu.yaml" --set model.d_model=32 \
          --set model.heads=2 --set model.head_dim=16 --set model.mlp_hidden=64 --set model.layers=1 \
          --set train.seq_len=64 --set train.batch_size=2 --set train.warmup_steps=2 --set train.log_every=1 \
          --set train.eval_every=0 --set train.eval_batches=1 --steps $steps "$@"; }
simt=(--set attention.backend=simt --set attention.dtype=bf16)

# 1. simt against cpu.
out=$(run "${simt[@]}" --out-dir "$tmp/simt" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "simt training exited $rc: $out"
grep -q "done after $steps steps" <<<"$out" || fail "no summary: $out"
n=$(grep -c '"record":"train_step"' "$tmp/simt/records.jsonl"); [ "$n" = "$steps" ] || fail "expected $steps train_step records, got $n"
grep -q '"record":"train_eval"' "$tmp/simt/records.jsonl" || fail "no train_eval record"
out=$(run --out-dir "$tmp/cpu" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "cpu training exited $rc: $out"
cmp_out=$(python3 "$agree" "$tmp/simt/records.jsonl" "$tmp/cpu/records.jsonl"); rc=$?
echo "$cmp_out"
[ "$rc" = 0 ] || fail "simt losses do not track the cpu losses"
out=$(run --set train.lr=0.00294 --set train.min_lr=0.000294 --out-dir "$tmp/lr" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "cpu training (lr − 2%) exited $rc: $out"
cmp_out=$(python3 "$agree" "$tmp/lr/records.jsonl" "$tmp/cpu/records.jsonl" --quiet --expect-disagree); rc=$?
echo "sensitivity (cpu, lr − 2%, against cpu): $cmp_out"
[ "$rc" = 0 ] || fail "the tolerance does not catch a 2% learning-rate error"

# 1b. model.compute = bf16 (bf16 activations and GEMM inputs, fp32 master weights): it
# tracks the cpu run within the same tolerance (each bf16 rounding is again at most 2^-9
# of its value, independent across elements), and it is not the fp32 device run (the
# switch reaches the model).
out=$(run "${simt[@]}" --set model.compute=bf16 --out-dir "$tmp/bf16" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "simt bf16-compute training exited $rc: $out"
cmp_out=$(python3 "$agree" "$tmp/bf16/records.jsonl" "$tmp/cpu/records.jsonl" --quiet); rc=$?
echo "bf16 compute against cpu: $cmp_out"
[ "$rc" = 0 ] || fail "simt bf16-compute losses do not track the cpu losses"
losses() { python3 -c 'import json,sys; print([json.loads(l)["loss"] for l in open(sys.argv[1]) if "\"train_step\"" in l])' "$1"; }
[ "$(losses "$tmp/bf16/records.jsonl")" != "$(losses "$tmp/simt/records.jsonl")" ] ||
  fail "model.compute = bf16 gave the fp32 device run's losses exactly: the switch did not reach the model"

# 2. Preempted on simt: SIGUSR1 to every rank after a few steps, then resumed.
run "${simt[@]}" --out-dir "$tmp/b" >"$tmp/b.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q '"step":4' "$tmp/b/records.jsonl" 2>/dev/null && break; sleep 0.1; done
pkill -USR1 -f "^[^ ]*ringattn train --config .*$tmp/b" || fail "no rank to signal"
wait $pid; rc=$?
[ "$rc" = 0 ] || fail "preempted run exited $rc: $(cat "$tmp/b.log")"
grep -q "stopped (checkpointed)" "$tmp/b.log" || fail "not stopped early: $(cat "$tmp/b.log")"
out=$(run "${simt[@]}" --out-dir "$tmp/b" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "resumed run exited $rc: $out"
grep -q "resumed from the checkpoint of step" <<<"$out" || fail "did not resume: $out"
final=$(printf 'step-%012d' "$steps")
cmp "$tmp/simt/checkpoints/$final/tensors-000.bin" "$tmp/b/checkpoints/$final/tensors-000.bin" \
  || fail "resumed simt run differs from the uninterrupted one"

# 3. dp = 2 on simt against dp = 2 on cpu (6 steps).
steps=6
out=$(run "${simt[@]}" --set parallel.dp=2 --out-dir "$tmp/dp-simt" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "simt dp = 2 training exited $rc: $out"
out=$(run --set parallel.dp=2 --out-dir "$tmp/dp-cpu" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "cpu dp = 2 training exited $rc: $out"
cmp_out=$(python3 "$agree" "$tmp/dp-simt/records.jsonl" "$tmp/dp-cpu/records.jsonl" --quiet); rc=$?
echo "dp = 2: $cmp_out"
[ "$rc" = 0 ] || fail "simt dp = 2 losses do not track the cpu losses"

# 4. Bucketed gradient all-reduce (train.grad_bucket_mb): with buckets smaller than a
# layer (2 layers: each layer reduced as the backward finishes it, overlapped with the
# earlier layer's backward; then the embedding and the final norm) dp = 2 ends bitwise
# where one all-reduce after the backward ends: at 2 ranks every element's sum is a + b
# either way. The records say how many all-reduces each step issued.
buckets() { python3 -c 'import json,sys; print(sorted({json.loads(l)["grad_buckets"] for l in open(sys.argv[1]) if "\"train_step\"" in l}))' "$1"; }
for b in 0 0.00001; do
  out=$(run "${simt[@]}" --set parallel.dp=2 --set model.layers=2 --set train.grad_bucket_mb=$b --out-dir "$tmp/bucket-$b" 2>&1); rc=$?
  [ "$rc" = 0 ] || fail "simt dp = 2 with grad_bucket_mb = $b exited $rc: $out"
done
[ "$(buckets "$tmp/bucket-0/records.jsonl")" = "[1]" ] || fail "grad_bucket_mb = 0: expected 1 all-reduce per step, got $(buckets "$tmp/bucket-0/records.jsonl")"
[ "$(buckets "$tmp/bucket-0.00001/records.jsonl")" = "[4]" ] || fail "tiny buckets: expected 4 all-reduces per step (2 layers, embedding, final norm), got $(buckets "$tmp/bucket-0.00001/records.jsonl")"
final=$(printf 'step-%012d' "$steps")
cmp "$tmp/bucket-0/checkpoints/$final/tensors-000.bin" "$tmp/bucket-0.00001/checkpoints/$final/tensors-000.bin" \
  || fail "bucketed gradient all-reduce ends elsewhere than one all-reduce after the backward"
echo "bucketed all-reduce: 4 per step, bitwise equal to 1 per step after $steps steps"
echo PASS
