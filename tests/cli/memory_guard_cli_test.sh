#!/usr/bin/env bash
# Sizes inside the accepted ranges that do not fit this machine are refused before
# anything is allocated (runtime/plan/memory_guard.h): exit 2, one line for the job,
# naming the estimate, what is available and the advice — within seconds, never the
# OOM killer. bench at the documented maximum of 16777216 tokens per rank on 2 ranks,
# kernel-bench at 2^24 tokens, train with a sequence no node here holds. A size that
# fits still runs.
set -uo pipefail
ringattn=$1
mpirun_sh=$2
configs=$3
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_refused() {  # name, command...
  local name=$1; shift
  local t0=$SECONDS out rc
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = 2 ] || fail "$name: exit $rc, expected 2: $out"
  grep -q "needs about .* per rank" <<<"$out" || fail "$name: no estimate in: $out"
  grep -q "is available (" <<<"$out" || fail "$name: no available memory in: $out"
  [ "$(grep -c 'ringattn: error' <<<"$out")" = 1 ] || fail "$name: not one line for the job: $out"
  [ $((SECONDS - t0)) -lt 30 ] || fail "$name: took $((SECONDS - t0)) s to refuse"
  echo "ok: $name refused: $(cut -c1-160 <<<"$out")"
}

expect_refused "bench 16777216 tokens/rank" "$mpirun_sh" 2 "$ringattn" bench --tokens-per-rank 16777216 --out-dir "$tmp/b"
expect_refused "kernel-bench --len 2^24" "$ringattn" kernel-bench --len 16777216 --head-dim 128
expect_refused "train seq_len 2^30" "$mpirun_sh" 2 "$ringattn" train --config "$configs/train/passkey_cpu.yaml" \
  --set train.seq_len=1073741824 --set train.batch_size=64 --out-dir "$tmp/t"
[ ! -e "$tmp/t/records.jsonl" ] || fail "train refused but wrote records"

out=$("$mpirun_sh" 2 "$ringattn" bench --tokens-per-rank 256 --reps 1 --warmup 0 --out-dir "$tmp/ok" 2>&1) ||
  fail "a bench that fits was refused: $out"
echo "ok: a bench that fits runs"
echo PASS
