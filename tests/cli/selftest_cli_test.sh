#!/usr/bin/env bash
# `ringattn selftest` on a machine without a GPU: says why, runs the CUDA kernels under
# the SIMT emulator, prints the pass/fail table and exits 0; a ringattn whose emulator
# check is missing says where it looked and exits 2.
set -uo pipefail
ringattn=$1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$ringattn" selftest 2>&1); rc=$?
[ "$rc" = 0 ] || fail "selftest exited $rc: $out"
grep -q "no GPU to test" <<<"$out" || fail "no reason given for not testing a GPU: $out"
grep -q "Running the CUDA kernels under the SIMT emulator instead" <<<"$out" || fail "no fallback message: $out"
grep -q "all 12 cases PASS" <<<"$out" || fail "no passing table: $out"
[ "$(grep -c '  PASS$' <<<"$out")" = 12 ] || fail "expected 12 PASS rows: $out"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$ringattn" "$tmp/ringattn"
out=$("$tmp/ringattn" selftest --emulator 2>&1); rc=$?
[ "$rc" = 2 ] || fail "missing emulator check: exit $rc, expected 2: $out"
grep -q "ringattn-emulator-check' could not be run" <<<"$out" || fail "missing emulator check not named: $out"
[ "$(wc -l <<<"$out")" = 1 ] || fail "expected one line: $out"
echo PASS
