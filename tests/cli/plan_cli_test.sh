#!/usr/bin/env bash
# `ringattn plan`: every shipped training config on every hardware profile plans (exit 0)
# with a table and a recommendation; --json carries the figures, and they hang together
# (step = attention + GEMMs + elementwise + exposed gradient reduction + optimizer + syncs;
# tokens/s = tokens / step); a cpu config with a calibrated profile plans the host model; a
# config that cannot fit on one GPU says so and what would make it fit; without
# --hardware the memory alone; a bad profile is exit 2 naming the key.
set -uo pipefail
ringattn=$1
root=$2
mpirun_sh=$3
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cfg in "$root"/configs/train/*.yaml; do
  for hw in "$root"/configs/hardware/*.yaml; do
    out=$("$ringattn" plan --config "$cfg" --hardware "$hw" 2>&1) || fail "plan $cfg on $hw: $out"
    grep -qE "<- recommended|<- least memory \(none fits\)" <<<"$out" || fail "no recommendation for $cfg on $hw: $out"
  done
done
echo "ok: every shipped train config plans on every profile"

"$ringattn" plan --config "$root/configs/train/long_context_8gpu.yaml" --hardware "$root/configs/hardware/h100_sxm.yaml" \
  --json >"$tmp/plan.json" || fail "plan --json"
python3 - "$tmp/plan.json" <<'PY' || fail "plan --json figures do not hang together"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["gpus"] == 8 and len(j["candidates"]) == 4, j
for c in j["candidates"] + [j["configured"]]:
    s = sum(c[k + "_seconds"] for k in ("attention", "gemm", "elementwise", "grad_reduce_exposed", "optimizer", "sync"))
    assert abs(c["step_seconds"] - s) <= 1e-9 * s, c
    assert c["placement"] == "device" and c["elementwise_seconds"] == 0, c
    tokens = j["batch"] * j["seq_len"] * c["dp"]
    assert abs(c["tokens_per_s"] - tokens / c["step_seconds"]) <= 1e-6 * c["tokens_per_s"], c
    assert 0 < c["mfu"] < 1, c
    assert c["device_bytes"] == sum(t["bytes"] for t in c["memory_terms"] if t["where"] == "device"), c
    assert c["sp"] * c["dp"] == 8
print("ok: --json figures hang together")
PY

# 2^20 tokens of a 7B-class model in one GPU's memory: does not fit, and says what would.
out=$("$ringattn" plan --config "$root/configs/train/long_context_8gpu.yaml" --hardware "$root/configs/hardware/a100_80gb.yaml" \
  --ranks 1 --set train.seq_len=1048576 --set model.d_model=4096 --set model.layers=32 --set model.heads=32 \
  --set model.kv_heads=8 --set model.head_dim=128 --set model.mlp_hidden=11008 --set parallel.sp=1 2>&1) ||
  fail "plan of a model too big: $out"
grep -q "does not fit" <<<"$out" || fail "a 7B model at 2^20 tokens on one A100 was not refused: $out"
grep -q "parameter state alone" <<<"$out" || fail "no advice: $out"
# A split that does not fit is never called recommended, in the table or in --json.
grep -q -- "<- least memory (none fits)" <<<"$out" || fail "no least-memory mark when nothing fits: $out"
! grep -q -- "<- recommended" <<<"$out" || fail "a split that does not fit is marked recommended: $out"
"$ringattn" plan --config "$root/configs/train/long_context_8gpu.yaml" --hardware "$root/configs/hardware/a100_80gb.yaml" \
  --ranks 1 --set train.seq_len=1048576 --set model.d_model=4096 --set model.layers=32 --set model.heads=32 \
  --set model.kv_heads=8 --set model.head_dim=128 --set model.mlp_hidden=11008 --set parallel.sp=1 --json \
  >"$tmp/nofit.json" || fail "plan --json of a model too big"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["recommended"] is None and j["least_memory"] == {"sp": 1, "dp": 1}, j' \
  "$tmp/nofit.json" || fail "--json recommends a split that does not fit: $(cat "$tmp/nofit.json")"
out=$("$ringattn" plan --config "$root/configs/train/long_context_8gpu.yaml" --hardware "$root/configs/hardware/h100_sxm.yaml" \
  --ranks 1 --set parallel.sp=1 --set train.seq_len=4194304 2>&1) || fail "plan of a sequence too long: $out"
grep -q "does not fit" <<<"$out" || fail "2^22 tokens on one GPU was not refused: $out"
grep -q "more sequence-parallel ranks" <<<"$out" || fail "no sequence-parallel advice: $out"
echo "ok: a plan that cannot fit says so"

out=$("$ringattn" plan --config "$root/configs/train/passkey_cpu.yaml" 2>&1) || fail "memory-only plan: $out"
# The cpu backend trains in host memory: no device terms, the total is RAM per rank.
grep -q "attention.backend cpu: all of it in host memory" <<<"$out" || fail "memory-only plan, cpu: no placement: $out"
grep -q "total in host memory" <<<"$out" || fail "no memory table: $out"
! grep -q "  device$" <<<"$out" || fail "memory-only plan, cpu: a term placed on a device: $out"
grep -q "not estimated" <<<"$out" || fail "no note on the missing profile: $out"
"$ringattn" plan --config "$root/configs/train/passkey_cpu.yaml" --json >"$tmp/cpu.json" || fail "memory-only plan --json"
"$ringattn" plan --config "$root/configs/train/passkey_cpu.yaml" --set attention.backend=simt --set attention.dtype=bf16 --json >"$tmp/simt.json" ||
  fail "memory-only plan --json, simt"
python3 - "$tmp/cpu.json" "$tmp/simt.json" <<'PY' || fail "memory-only plan --json placements: $(cat "$tmp/cpu.json" "$tmp/simt.json")"
import json, sys
cpu, simt = (json.load(open(p)) for p in sys.argv[1:3])
assert cpu["placement"] == "host" and cpu["device_bytes"] == 0 and cpu["host_bytes"] > 0, cpu
assert simt["placement"] == "device" and simt["device_bytes"] > 0, simt
PY

printf 'name: x\nwarp_speed: 9\n' >"$tmp/bad.yaml"
out=$("$ringattn" plan --config "$root/configs/train/passkey_cpu.yaml" --hardware "$tmp/bad.yaml" 2>&1); rc=$?
[ "$rc" = 2 ] || fail "bad profile: exit $rc: $out"
grep -q "unknown key \`warp_speed\`" <<<"$out" || fail "bad profile message: $out"
# calibrate on 2 ranks writes a profile plan loads; plan --for bench predicts with it, and
# the prediction's memory is the memory model's (no timing is asserted: a shared machine).
"$mpirun_sh" 2 "$ringattn" calibrate --out "$tmp/cal.yaml" --len 512 --repeat 2 >"$tmp/cal.log" 2>&1 || fail "calibrate: $(cat "$tmp/cal.log")"
grep -q "each figure the median of 2 calibration(s)" "$tmp/cal.yaml" || fail "--repeat 2 not said in: $(head -2 "$tmp/cal.yaml")"
out=$("$ringattn" calibrate --out "$tmp/never.yaml" --repeat 0 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q -- "--repeat" <<<"$out" && [ ! -e "$tmp/never.yaml" ] || fail "calibrate --repeat 0: exit $rc: $out"
grep -q "^attention_tflops_fp32_bwd: " "$tmp/cal.yaml" || fail "no measured rates in: $(cat "$tmp/cal.yaml")"
grep -q "^intra_node_gbps: " "$tmp/cal.yaml" || fail "no link in: $(cat "$tmp/cal.yaml")"
for key in memory_gbps attention_tile_tokens_fwd attention_partial_pair_ns_bwd ring_pass_overhead_us_fp32_fwd ring_hop_overhead_us_bf16_bwd ring_compute_slowdown_bf16_fwd \
    attention_pair_ns_fp32_fwd attention_pair_ns_bf16_bwd host_elementwise_ns_per_elem; do
  grep -q "^$key: " "$tmp/cal.yaml" || fail "no $key in: $(cat "$tmp/cal.yaml")"
done
"$ringattn" plan --for bench --config "$root/configs/demo.yaml" --set parallel.sp=2 --ranks 2 --hardware "$tmp/cal.yaml" \
  --json >"$tmp/bp.json" || fail "plan --for bench with the calibrated profile"
python3 - "$tmp/bp.json" <<'PY' || fail "plan --for bench figures"
import json, sys
j = json.load(open(sys.argv[1]))
# Both rates are measured (bwd may come out faster per FLOP, e.g. under a sanitizer), so
# only the signs are asserted, never their ratio.
assert j["fwd_seconds"] > 0 and j["bwd_seconds"] > 0, j
assert 0 < j["ring_efficiency"] <= 1 and 0 <= j["exposed_comm_fraction"] < 1, j
assert j["tokens_per_rank"] == 4096 and j["device_bytes"] > 0, j
# A pass is its compute, its exposed hops, its memory passes and its steps' overhead (the
# hidden hops cost nothing): the parts add up to the whole.
for p in ("fwd", "bwd"):
    parts = sum(j[f"{p}_{k}_seconds"] for k in ("compute", "exposed", "memory", "overhead"))
    assert abs(parts - j[f"{p}_seconds"]) <= 1e-9 * j[f"{p}_seconds"], (p, parts, j)
print("ok: calibrate + plan --for bench")
PY
# The cpu backend's training step on the calibrated profile: the host model (f32 ring,
# elementwise work, the blocking gradient all-reduce), its memory all on the host.
"$ringattn" plan --config "$root/configs/train/passkey_cpu.yaml" --ranks 2 --hardware "$tmp/cal.yaml" --json \
  >"$tmp/host.json" || fail "plan of the cpu config with the calibrated profile"
python3 - "$tmp/host.json" <<'PY' || fail "plan of the host model: $(cat "$tmp/host.json")"
import json, sys
j = json.load(open(sys.argv[1]))
for c in j["candidates"] + [j["configured"]]:
    assert c["placement"] == "host" and c["elementwise_seconds"] > 0 and c["gemm_seconds"] > 0, c
    s = sum(c[k + "_seconds"] for k in ("attention", "gemm", "elementwise", "grad_reduce_exposed", "optimizer", "sync"))
    assert abs(c["step_seconds"] - s) <= 1e-9 * s, c
    assert all(t["where"] == "host" for t in c["memory_terms"]), c
    # The steps hold neither the evaluation's logits nor a checkpoint's copy.
    between = sum(t["bytes"] for t in c["memory_terms"] if t["name"].startswith(("evaluation logits", "checkpoint")))
    assert c["step_bytes"] == sum(t["bytes"] for t in c["memory_terms"]) - between, c
c = j["configured"]
assert c["sp"] == 2 and c["grad_reduce_exposed_seconds"] == c["grad_reduce_seconds"] > 0, c
print("ok: plan of the host model")
PY
out=$("$ringattn" plan --for bench --config "$root/configs/demo.yaml" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "needs --hardware" <<<"$out" || fail "plan --for bench without a profile: exit $rc: $out"
echo PASS
