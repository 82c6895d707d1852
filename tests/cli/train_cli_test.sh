#!/usr/bin/env bash
# `ringattn train` on 2 ranks: a short passkey run writes records and a checkpoint;
# SIGUSR1 mid-run finishes the step, checkpoints and exits 0, and the resumed run ends
# bitwise identical to an uninterrupted one; a changed config is refused on resume
# (exit 5); bad data files are refused with exit 3 naming the file and byte offset.
set -uo pipefail
ringattn=$1
mpirun_sh=$2
configs=$3
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
run() { "$mpirun_sh" 2 "$ringattn" train --config "$configs/train/passkey_cpu.yaml" --set train.seq_len=64 \
          --set train.batch_size=2 --set train.eval_batches=1 --set train.log_every=5 --set train.eval_every=10 "$@"; }

# 1. Uninterrupted: 30 steps.
out=$(run --steps 30 --out-dir "$tmp/a" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "training exited $rc: $out"
grep -q "done after 30 steps" <<<"$out" || fail "no summary: $out"
[ -f "$tmp/a/checkpoints/step-000000000030/manifest.pb" ] || fail "no final checkpoint: $(ls -R "$tmp/a")"
n=$(grep -c '"record":"train_step"' "$tmp/a/records.jsonl"); [ "$n" = 6 ] || fail "expected 6 train_step records, got $n"
grep -q '"record":"train_eval"' "$tmp/a/records.jsonl" || fail "no train_eval record"
python3 - "$tmp/a/records.jsonl" <<'PY' || fail "records are not valid JSON lines with the documented fields"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    need = {"train_step": ["step", "loss", "tokens_per_s", "step_seconds", "attention_seconds", "exposed_comm_seconds", "critical_exposed_comm_seconds", "critical_exposed_comm_fraction", "peak_rss_bytes", "activation_bytes_per_token"],
            "train_eval": ["step", "token_accuracy", "sequence_accuracy"]}[r["record"]]
    missing = [k for k in need if k not in r]
    assert not missing, missing
    if r["record"] == "train_step":  # the critical path's wait is one rank's, the other the rank max
        assert 0 <= r["critical_exposed_comm_seconds"] <= r["exposed_comm_seconds"], r
        assert 0 <= r["critical_exposed_comm_fraction"] <= r["exposed_comm_fraction"] < 1, r
PY

# A finished run started again resumes at the end: nothing to train, but it reports.
out=$(run --steps 30 --out-dir "$tmp/a" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "rerun of a finished run exited $rc: $out"
grep -q "nothing left to train" <<<"$out" || fail "rerun did not say it had nothing to do: $out"
grep -q "sequence (passkey) accuracy" <<<"$out" || fail "rerun did not report the accuracy: $out"

# 2. Preempted: SIGUSR1 to every rank after a few steps, then resumed to 30.
run --steps 30 --out-dir "$tmp/b" >"$tmp/b.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q '"step":5' "$tmp/b/records.jsonl" 2>/dev/null && break; sleep 0.1; done
pkill -USR1 -f "^[^ ]*ringattn train --config .*$tmp/b" || fail "no rank to signal"
wait $pid; rc=$?
[ "$rc" = 0 ] || fail "preempted run exited $rc: $(cat "$tmp/b.log")"
grep -q "stop requested" "$tmp/b.log" || fail "no stop note: $(cat "$tmp/b.log")"
grep -q "stopped (checkpointed)" "$tmp/b.log" || fail "not stopped early: $(cat "$tmp/b.log")"
out=$(run --steps 30 --out-dir "$tmp/b" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "resumed run exited $rc: $out"
grep -q "resumed from the checkpoint of step" <<<"$out" || fail "did not resume: $out"
cmp "$tmp/a/checkpoints/step-000000000030/tensors-000.bin" "$tmp/b/checkpoints/step-000000000030/tensors-000.bin" \
  || fail "resumed run differs from the uninterrupted one"

# SIGTERM to the ranks (Slurm's preemption) does the same.
run --steps 30 --out-dir "$tmp/t" >"$tmp/t.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q '"step":5' "$tmp/t/records.jsonl" 2>/dev/null && break; sleep 0.1; done
pkill -TERM -f "^[^ ]*ringattn train --config .*$tmp/t" || fail "no rank to signal"
wait $pid; rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc: $(cat "$tmp/t.log")"
grep -q "stopped (checkpointed)" "$tmp/t.log" || fail "SIGTERM did not checkpoint and stop: $(cat "$tmp/t.log")"

# 3. A changed config is refused on resume: one line, exit 5.
out=$(run --steps 30 --out-dir "$tmp/b" --set train.lr=0.001 2>&1); rc=$?
[ "$rc" = 5 ] || fail "changed config: exit $rc, expected 5: $out"
grep -q "config hash .* differs" <<<"$out" || fail "no config-hash refusal: $out"

# 4. Byte-level text and binary token files train end to end.
printf 'the quick brown fox jumps over the lazy dog. ' > "$tmp/a.txt"
printf 'pack my box with five dozen liquor jugs! ' > "$tmp/b.txt"
out=$(run --steps 3 --out-dir "$tmp/text" --set train.data.kind=text --set "train.data.files=[$tmp/a.txt, $tmp/b.txt]" 2>&1)
rc=$?; [ "$rc" = 0 ] || fail "text corpus: exit $rc: $out"
python3 - "$tmp/good.tok" <<'PY'
import struct, sys
tokens = [i % 200 for i in range(300)]
docs = [0, 120, 300]
b = b"RATOKENS" + struct.pack("<IIIIQQ", 1, 4, 256, 0, len(docs) - 1, len(tokens))
b += b"".join(struct.pack("<Q", o) for o in docs) + b"".join(struct.pack("<I", t) for t in tokens)
open(sys.argv[1], "wb").write(b)
PY
out=$(run --steps 3 --out-dir "$tmp/tok" --set train.data.kind=tokens --set "train.data.files=[$tmp/good.tok]" 2>&1)
rc=$?; [ "$rc" = 0 ] || fail "token file: exit $rc: $out"

# 5. Bad data files: exit 3 naming the file and the byte offset.
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
def tok(path, tokens, vocab=256, width=2, docs=None, truncate=0, magic=b"RATOKENS"):
    docs = docs or [0, len(tokens)]
    b = magic + struct.pack("<IIIIQQ", 1, width, vocab, 0, len(docs) - 1, len(tokens))
    b += b"".join(struct.pack("<Q", o) for o in docs)
    b += b"".join(struct.pack("<H" if width == 2 else "<I", t) for t in tokens)
    open(path, "wb").write(b[:len(b) - truncate] if truncate else b)
tok(f"{d}/big.tok", [1, 2, 300, 4] * 50)
tok(f"{d}/short.tok", list(range(100)), truncate=3)
tok(f"{d}/magic.tok", list(range(100)), magic=b"NOTATOKN")
PY
check_bad() {
  local file=$1 want=$2
  out=$(run --steps 2 --out-dir "$tmp/c" --set train.data.kind=tokens --set "train.data.files=[$file]" 2>&1); rc=$?
  [ "$rc" = 3 ] || fail "$file: exit $rc, expected 3: $out"
  grep -q "$want" <<<"$out" || fail "$file: expected '$want' in: $out"
  [ "$(grep -c . <<<"$out")" = 1 ] || fail "$file: expected one line: $out"
}
check_bad "$tmp/big.tok" "big.tok: byte 60: token 300 (token index 2) >= vocab 256"
check_bad "$tmp/short.tok" "short.tok: byte 56: .*(truncated)"
check_bad "$tmp/magic.tok" "magic.tok: byte 0: magic"
check_bad "$tmp/missing.tok" "missing.tok: cannot open"
echo PASS
