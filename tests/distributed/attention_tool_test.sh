#!/usr/bin/env bash
# `ringattn attention` on the golden cases (tests/golden/attention) through
# launch/mpirun.sh, P = 1..4 and every layout: rank 0's o/lse/dq/dk/dv.npy must meet the
# numerics policy against the golden f64 results (checked by golden_check). Then bad
# inputs: exit 3 and one line naming the file and the problem, on 2 ranks.
# usage: attention_tool_test.sh ringattn mpirun.sh golden_check golden_dir
set -u
# shellcheck source=tests/support/golden_args.sh
source "$(dirname "$0")/../support/golden_args.sh"
bin=$1 mpirun=$2 checker=$3 golden=$4
fails=0 passes=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Read $? into a variable before calling check: a $(...) in the message resets $?.
check() { if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

if [ ! -d "$golden" ]; then
  echo "FAIL: golden cases not found at $golden (they ship in tests/golden/attention)"
  fails=$((fails + 1))
else
  for case in "$golden"/*/; do
    case=${case%/}
    golden_args "$case" || { check "$case: meta.json unreadable" 1; continue; }
    for p in 1 2 3 4; do
      for layout in contiguous zigzag striped; do
        # All layouts at P = 2 and 3; zigzag alone at P = 1 and 4 (time on 2 cores).
        if { [ "$p" -eq 1 ] || [ "$p" -eq 4 ]; } && [ "$layout" != zigzag ]; then continue; fi
        out="$dir/$(basename "$case")_p${p}_$layout"
        "$mpirun" "$p" "$bin" attention "${golden_argv[@]}" --layout "$layout" --out-dir "$out" >"$dir/log" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then check "$(basename "$case") P=$p $layout: exit $rc: $(cat "$dir/log")" 1; continue; fi
        "$checker" "$case" "$out" >"$dir/check" 2>&1
        ok=$?
        check "$(basename "$case") P=$p $layout: $(cat "$dir/check")" "$ok"
      done
    done
  done
fi

# Bad inputs, on 2 ranks: exit 3, exactly one line, naming the file and the problem.
python3 - "$dir" <<'PY'
import struct, sys
d = sys.argv[1]
def npy(path, descr, shape, data):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, "".join(f"{s}, " for s in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
n = 6 * 2 * 4
npy(f"{d}/q.npy", "<f4", (6, 2, 4), struct.pack(f"<{n}f", *([0.5] * n)))
npy(f"{d}/k.npy", "<f4", (6, 1, 4), struct.pack("<24f", *([0.25] * 24)))
npy(f"{d}/v.npy", "<f4", (6, 1, 4), struct.pack("<24f", *([1.0] * 24)))
npy(f"{d}/k_bad.npy", "<f4", (5, 1, 4), struct.pack("<20f", *([0.25] * 20)))
npy(f"{d}/q_f64.npy", "<f8", (6, 2, 4), struct.pack(f"<{n}d", *([0.5] * n)))
npy(f"{d}/pos_f32.npy", "<f4", (6,), struct.pack("<6f", *range(6)))
open(f"{d}/trunc.npy", "wb").write(open(f"{d}/q.npy", "rb").read()[:100])
PY
bad() {  # bad NAME PATTERN -- ARGS...
  local name=$1 pattern=$2
  shift 3
  "$mpirun" 2 "$bin" attention --out-dir "$dir/bad_out" "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  [ "$rc" -eq 3 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q -- "$pattern" "$dir/err"
  ok=$?
  check "$name: exit $rc (want 3), stderr: $(cat "$dir/err")" "$ok"
}
bad "k with another S" "k_bad.npy: shape \[5, 1, 4\] does not fit q \[6, 2, 4\]" -- --q "$dir/q.npy" --k "$dir/k_bad.npy" --v "$dir/v.npy"
bad "float64 q" "q_f64.npy: q must be float32 or float16, got dtype f64" -- --q "$dir/q_f64.npy" --k "$dir/k.npy" --v "$dir/v.npy"
bad "float positions" "pos_f32.npy: pos-q must be int32, got dtype f32" -- --q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v.npy" --pos-q "$dir/pos_f32.npy"
bad "truncated file" "trunc.npy" -- --q "$dir/trunc.npy" --k "$dir/k.npy" --v "$dir/v.npy"
bad "missing file" "nope.npy" -- --q "$dir/nope.npy" --k "$dir/k.npy" --v "$dir/v.npy"

# A good small run writes the outputs, forward only without --dout.
"$mpirun" 2 "$bin" attention --q "$dir/q.npy" --k "$dir/k.npy" --v "$dir/v.npy" --out-dir "$dir/ok" >"$dir/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ -s "$dir/ok/o.npy" ] && [ -s "$dir/ok/lse.npy" ] && [ ! -e "$dir/ok/dq.npy" ]
ok=$?
check "forward-only run: exit $rc: $(cat "$dir/out")" "$ok"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
