#!/usr/bin/env bash
# The `simt` backend (the CUDA kernels under the SIMT emulator) through the real command
# paths at P = 2, against the `cpu` backend, both at exact precision (fp32 products of P
# and dS, held to the fp32 policy; the default fast precision's own bound is tested
# kernel by kernel in tests/simt and tests/kernels/cpu_attention_test.cc):
#   - `ringattn attention --dtype bf16` on every golden case: both backends meet the
#     numerics policy against the f64 reference on the bf16-rounded inputs (so they
#     agree with each other within twice its bounds);
#   - `ringattn bench --dtype bf16` on the same synthetic inputs: the output digests
#     (Σ|O|, Σ LSE, Σ|dQ|, Σ|dK|, Σ|dV| over the sequence) agree: Σ LSE and the fp32
#     gradient sums within 1e-5 relative (the policy's fp32 scale: both accumulate in
#     fp32 from the same bf16 inputs, in different orders), Σ|O| within 2^-8 (O is
#     stored in bf16: two correct results a few fp32 ulps apart may round one bf16 ulp
#     apart, at most 2^-8 of each |O|). The same check must reject a window off by one
#     (cpu, W = 40 against W = 39), so it can fail.
# Usage: backends_agree_test.sh ringattn mpirun.sh golden_check golden_dir
set -u
# shellcheck source=tests/support/golden_args.sh
source "$(dirname "$0")/../support/golden_args.sh"
bin=$1 mpirun=$2 checker=$3 golden=$4
fails=0 passes=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Read $? into a variable before calling check: a $(...) in the message resets $?.
check() { if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

[ -d "$golden" ] || { echo "FAIL: golden cases not found at $golden"; exit 1; }
for case in "$golden"/*/; do
  case=${case%/}
  name=$(basename "$case")
  golden_args "$case" || { check "$case: meta.json unreadable" 1; continue; }
  for backend in cpu simt; do
    out="$dir/${name}_$backend"
    "$mpirun" 2 "$bin" attention --backend "$backend" --dtype bf16 --precision exact "${golden_argv[@]}" \
      --out-dir "$out" >"$dir/log" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then check "$name $backend: exit $rc: $(cat "$dir/log")" 1; continue; fi
    "$checker" "$case" "$out" bf16 >"$dir/check" 2>&1
    ok=$?
    check "$name attention --backend $backend at P=2: $(cat "$dir/check")" "$ok"
  done
done

cat >"$dir/agree.py" <<'PY'
import json, sys
a_rec, b_rec = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
tolerance = {"o_abs_sum": 2 ** -8, "lse_sum": 1e-5, "dq_abs_sum": 1e-5, "dk_abs_sum": 1e-5, "dv_abs_sum": 1e-5}
assert set(a_rec["digest"]) == set(tolerance), a_rec["digest"]
bad = []
for k, tol in tolerance.items():
    a, b = a_rec["digest"][k], b_rec["digest"][k]
    rel = abs(a - b) / max(abs(a), 1e-30)
    print(f"{k}: {a_rec['backend']} {a:.9g} {b_rec['backend']} {b:.9g} relative difference {rel:.3g} (tolerance {tol:.3g})")
    if not rel <= tol:
        bad.append(k)
sys.exit(f"digests differ beyond their tolerances: {bad}" if bad else 0)
PY
for shape in "--mask causal --head-dim 32 --heads 4 --kv-heads 2" "--mask bidirectional --window 40 --head-dim 64 --heads 2 --kv-heads 1"; do
  for backend in cpu simt; do
    # shellcheck disable=SC2086
    # Exact on both: the cpu kernels' products are fp32 then, like the CUDA kernels' split.
    precision=(--set attention.precision=exact)
    "$mpirun" 2 "$bin" bench --set attention.backend=$backend "${precision[@]}" --dtype bf16 --tokens-per-rank 96 $shape \
      --reps 1 --warmup 0 --json >"$dir/bench_$backend.json" 2>"$dir/err"
    rc=$?
    check "bench $shape --backend $backend: exit $rc: $(cat "$dir/err")" "$rc"
  done
  grep -q '"backend":"simt"' "$dir/bench_simt.json"; check "the simt run's record names its backend" $?
  python3 "$dir/agree.py" "$dir/bench_cpu.json" "$dir/bench_simt.json"
  check "bench digests cpu vs simt ($shape)" $?
done
# The comparison can fail: a window off by one is caught.
"$mpirun" 2 "$bin" bench --set attention.precision=exact --dtype bf16 --tokens-per-rank 96 --mask bidirectional --window 39 --head-dim 64 --heads 2 \
  --kv-heads 1 --reps 1 --warmup 0 --json >"$dir/bench_w39.json" 2>"$dir/err"
ok=$?
check "bench with W = 39: $(cat "$dir/err")" "$ok"
python3 "$dir/agree.py" "$dir/bench_cpu.json" "$dir/bench_w39.json" >"$dir/off_by_one" 2>&1
[ $? -eq 1 ] && grep -q "digests differ" "$dir/off_by_one"
ok=$?
check "a window off by one fails the digest comparison: $(cat "$dir/off_by_one")" "$ok"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ] && echo PASS
