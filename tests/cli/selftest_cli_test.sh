#!/usr/bin/env bash
# `ringattn selftest` on a machine without a GPU: says why, runs the CUDA kernels under
# the SIMT emulator, prints the pass/fail table and exits 0; --emulator skips the GPU.
set -uo pipefail
ringattn=$1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$ringattn" selftest 2>&1); rc=$?
[ "$rc" = 0 ] || fail "selftest exited $rc: $out"
grep -q "no GPU to test" <<<"$out" || fail "no reason given for not testing a GPU: $out"
grep -q "Running the CUDA kernels under the SIMT emulator instead" <<<"$out" || fail "no fallback message: $out"
grep -q "all 12 cases PASS" <<<"$out" || fail "no passing table: $out"
[ "$(grep -c '  PASS$' <<<"$out")" = 12 ] || fail "expected 12 PASS rows: $out"

# --emulator: the same check under the emulator without looking for a GPU.
out=$("$ringattn" selftest --emulator 2>&1); rc=$?
[ "$rc" = 0 ] || fail "selftest --emulator exited $rc: $out"
! grep -q "no GPU to test" <<<"$out" || fail "--emulator looked for a GPU: $out"
grep -q "all 12 cases PASS" <<<"$out" || fail "no passing table with --emulator: $out"
echo PASS
