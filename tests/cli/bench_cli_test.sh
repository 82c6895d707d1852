#!/usr/bin/env bash
# `ringattn bench` as a user meets it, through launch/mpirun.sh on 2 ranks: the summary
# table, the JSONL record with the documented keys, the Chrome trace with both ranks,
# and one clear error line with exit code 2 for bad flags (even with 2 ranks).
# Usage: bench_cli_test.sh path/to/ringattn path/to/launch/mpirun.sh
set -u
bin=$1 mpirun=$2
fails=0 passes=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Read $? into a variable before calling check: a $(...) in the message resets $?.
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi
}

"$mpirun" 2 "$bin" bench --tokens-per-rank 192 --heads 2 --head-dim 16 --reps 2 --warmup 1 \
  --jsonl "$dir/runs.jsonl" --out-dir "$dir/run" >"$dir/out" 2>"$dir/err"
rc=$?
check "bench on 2 ranks exits 0 (got $rc: $(cat "$dir/err"))" "$rc"
grep -q "ring attention: 2 ranks, zigzag, L = 384" "$dir/out"; check "table header" $?
grep -q "efficiency" "$dir/out"; check "table names the ring efficiency" $?
python3 - "$dir/runs.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"{len(lines)} records"
r = json.loads(lines[0])
need = ["ranks", "layout", "seq_len", "head_dim", "heads", "kv_heads", "causal", "window", "fwd_seconds",
        "bwd_seconds", "tokens_per_s", "gflops", "ring_efficiency", "exposed_comm_fraction", "peak_rss_bytes", "steps"]
missing = [k for k in need if k not in r]
assert not missing, f"missing {missing}"
assert r["ranks"] == 2 and r["layout"] == "zigzag" and r["seq_len"] == 384 and r["causal"] is True
assert r["fwd_seconds"] > 0 and r["bwd_seconds"] > 0 and 0 < r["ring_efficiency"] < 2
assert 0 <= r["exposed_comm_fraction"] <= 1 and r["peak_rss_bytes"] > 0
assert {(s["rank"], s["pass"]) for s in r["steps"]} == {(0, "fwd"), (0, "bwd"), (1, "fwd"), (1, "bwd")}
PY
check "JSONL record has the documented keys and values" $?
cmp -s <(cat "$dir/runs.jsonl") "$dir/run/records.jsonl"; check "the output directory holds the same record as --jsonl" $?
grep -q "^  heads: 2  # --set attention.heads=2" "$dir/run/config.yaml"; check "config.yaml is the resolved config with origins" $?
python3 - "$dir/run/trace.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
ev = [e for e in t["traceEvents"] if e["ph"] == "X"]
assert {e["pid"] for e in ev} == {0, 1}, "both ranks in the trace"
names = {e["name"] for e in ev}
assert "fwd step 0" in names and "bwd step 1" in names and "fwd kv hop 1" in names, sorted(names)[:20]
assert all(e["dur"] >= 0 for e in ev)
PY
check "Chrome trace has both ranks' compute and comm spans" $?

# Bad flags: exit 2, one line (not one per rank), naming the flag.
"$mpirun" 2 "$bin" bench --mask sideways >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "attention.mask: expected one of: causal, bidirectional, got 'sideways'" "$dir/err"
ok=$?
check "bad --mask on 2 ranks: exit $rc, want 2 and one line: $(cat "$dir/err")" "$ok"
"$mpirun" 2 "$bin" bench --bogus-flag >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(grep -c 'usage error.*--bogus-flag' "$dir/err")" -eq 1 ]
ok=$?
check "unknown flag on 2 ranks: exit $rc, want 2 and one line: $(cat "$dir/err")" "$ok"
"$mpirun" 2 "$bin" bench --heads 6 --kv-heads 4 --tokens-per-rank 16 >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "attention.heads must be a multiple of attention.kv_heads" "$dir/err"
ok=$?
check "heads 6 / kv 4 on 2 ranks: exit $rc, want 2 and one line: $(cat "$dir/err")" "$ok"
printf 'attention:\n  heads: 4\n  haeds: 8\n' >"$dir/bad.yaml"
"$mpirun" 2 "$bin" bench --config "$dir/bad.yaml" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "bad.yaml:3:3: unknown key 'attention.haeds' (did you mean 'attention.heads'?)" "$dir/err"
ok=$?
check "unknown key on 2 ranks: exit $rc, one line naming file:line:col and a suggestion: $(cat "$dir/err")" "$ok"
"$bin" bench --jsonl /nonexistent-dir/runs.jsonl --tokens-per-rank 16 --out-dir "$dir/run2" >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "/nonexistent-dir/runs.jsonl: cannot open for appending" "$dir/err"
check "unwritable --jsonl: exit $rc, want 2 naming the file" $?
"$mpirun" 2 "$bin" bench --out-dir /proc/version/x --tokens-per-rank 16 >"$dir/out" 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "/proc/version" "$dir/err"
ok=$?
check "unusable output_dir on 2 ranks: exit $rc, want 2 and one line: $(cat "$dir/err")" "$ok"
"$mpirun" 0 "$bin" bench >/dev/null 2>&1
[ $? -eq 2 ]; check "launch/mpirun.sh 0 is a usage error" $?

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
