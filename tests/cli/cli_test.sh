#!/usr/bin/env bash
# The `ringattn` command line as a user meets it: exit codes of docs/errors.md, one
# clear error line naming the flag or argument, and the kernel-bench output contract.
# Usage: cli_test.sh path/to/ringattn
set -u
bin=$1
fails=0
passes=0

# expect CODE PATTERN -- ARGS...: runs ringattn ARGS, checks the exit code and that stderr
# (or stdout for code 0) matches PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 3
  local out err rc
  out=$(mktemp) err=$(mktemp)
  "$bin" "$@" >"$out" 2>"$err"
  rc=$?
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL: ringattn $* -> exit $rc, expected $code"; cat "$err"; fails=$((fails + 1))
  elif ! grep -Eq -- "$pattern" "$err" "$out"; then
    echo "FAIL: ringattn $* -> output lacks /$pattern/"; cat "$err" "$out"; fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
  rm -f "$out" "$err"
}

expect 2 "usage error.*(subcommand|required)" --
expect 2 "usage error.*no-such-command|usage error" -- no-such-command
expect 2 "usage error.*--op" -- kernel-bench --op sideways
expect 2 "usage error.*--dtype" -- kernel-bench --dtype fp8
expect 2 "usage error.*--len" -- kernel-bench --len 0
expect 2 "usage error.*--len" -- kernel-bench --len banana
expect 2 "usage error.*--bogus" -- kernel-bench --bogus
expect 2 "query heads \(6\) must be a multiple of kv heads \(4\)" -- kernel-bench --heads 6 --kv-heads 4 --len 8 --reps 1 --warmup 0
# Refused by the flag's name before anything is allocated (a length whose buffers would
# fill gigabytes gets the same line), without an internal source location.
expect 2 "^ringattn: error: --head-dim 1000: head_dim 1000 is not supported by this backend \(supported: 1\.\.512\)$" -- kernel-bench --head-dim 1000 --len 8 --reps 1 --warmup 0
expect 2 "^ringattn: error: --head-dim 4096: head_dim 4096 is not supported" -- kernel-bench --head-dim 4096 --len 16777216 --heads 64
expect 0 "kernel-bench" -- kernel-bench --help

# --json: one object per line with the documented keys.
json=$("$bin" kernel-bench --len 64 --heads 2 --head-dim 16 --reps 1 --warmup 0 --causal --json)
rc=$?
lines=$(printf '%s\n' "$json" | grep -c '^{')
if [ "$rc" -ne 0 ] || [ "$lines" -ne 2 ]; then
  echo "FAIL: kernel-bench --json: exit $rc, $lines JSON lines (expected 0 and 2)"; echo "$json"; fails=$((fails + 1))
else
  for key in op dtype head_dim heads kv_heads len causal window threads seconds gflops; do
    if ! printf '%s\n' "$json" | python3 -c "import json,sys; [json.loads(l)['$key'] for l in sys.stdin]" 2>/dev/null; then
      echo "FAIL: kernel-bench --json lacks '$key'"; fails=$((fails + 1))
    fi
  done
  passes=$((passes + 1))
fi

# --window: the GFLOP/s count the visible pairs only (Σ_i min(i + 1, W) causal).
json=$("$bin" kernel-bench --len 64 --heads 2 --head-dim 16 --reps 1 --warmup 0 --causal --window 8 --op fwd --json)
if printf '%s\n' "$json" | python3 -c "
import json, sys
r = json.loads(sys.stdin.readline())
pairs = sum(min(i + 1, 8) for i in range(64))
flops = r['gflops'] * 1e9 * r['seconds']
assert r['window'] == 8 and abs(flops - 4 * pairs * 16 * 2) <= 1e-6 * flops, (r, pairs)
"; then passes=$((passes + 1)); else
  echo "FAIL: kernel-bench --window: $json"; fails=$((fails + 1))
fi

# The table form names its columns.
expect 0 "GFLOP/s" -- kernel-bench --len 32 --heads 1 --head-dim 8 --reps 1 --warmup 0 --op fwd --dtype bf16

# Root: refused unless allowed (--allow-root or RINGATTN_ALLOW_ROOT=1; ctest sets the
# variable because CI runs as root).
if [ "$(id -u)" -eq 0 ]; then
  expect 2 "refusing to run as root.*--allow-root" -- config-doc --allow-root=false
  out=$(env -u RINGATTN_ALLOW_ROOT "$bin" config-doc 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && [[ $out == *"refusing to run as root"* ]]; then passes=$((passes + 1)); else
    echo "FAIL: as root without permission: exit $rc: $out"; fails=$((fails + 1)); fi
  env -u RINGATTN_ALLOW_ROOT "$bin" config-doc --allow-root >/dev/null 2>&1
  if [ $? -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: --allow-root did not allow"; fails=$((fails + 1)); fi
else
  expect 0 "Configuration reference" -- config-doc
fi

# OpenBLAS's core below the CPU is reported at start-up, one line, and the run goes on.
# OPENBLAS_CORETYPE forces the mis-detection Debian's OpenBLAS makes on a Sapphire Rapids
# (Prescott: SSE kernels); the report needs a CPU with AVX2 (cpuid), which CI's has.
if grep -qw avx2 /proc/cpuinfo; then
  err=$(OPENBLAS_CORETYPE=Prescott "$bin" kernel-bench --op fwd --len 64 --reps 1 --warmup 0 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 0 ] && [ "$(grep -c "warning: OpenBLAS took this CPU for a 'Prescott'" <<<"$err")" -eq 1 ]; then
    passes=$((passes + 1))
  else
    echo "FAIL: a Prescott core on an AVX2 CPU: exit $rc, stderr: $err"; fails=$((fails + 1))
  fi
fi

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
