#!/usr/bin/env bash
# `ringattn train` with real ranks against checkpoint and output-directory faults
# (docs/checkpoints.md, docs/errors.md), each refused before training with one line:
#  1. a damaged newest checkpoint, every kind (manifest missing, garbage, truncated, empty,
#     swapped; the step directory replaced by a file or a symlink): exit 5 naming the entry
#     and the rule, nothing written; with train.on_damaged_checkpoint=set_aside it is
#     renamed to <name>.damaged-<time> (kept), the run resumes from the older checkpoint
#     and writes the redone step again;
#  2. train.resume=false into a directory holding checkpoints: exit 5 before training;
#  3. a resume on another number of ranks (2 -> 1): the world-layout message, not the
#     config hash;
#  4. a second run into an output directory (or a train.checkpoint_dir) in use: exit 2
#     naming the directory and the holder, nothing written; two runs started together:
#     one trains, the other refuses, and records.jsonl holds one run; after the holder is
#     SIGKILLed, the next run proceeds.
set -uo pipefail
ringattn=$1
mpirun_sh=$2
configs=$3
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
run_p() { local p=$1; shift; "$mpirun_sh" "$p" "$ringattn" train --config "$configs/train/passkey_cpu.yaml" \
            --set train.seq_len=64 --set train.batch_size=2 --set train.eval_batches=1 --set train.log_every=1 \
            --set train.eval_every=0 --set train.checkpoint_every=2 --set train.keep_latest_k=5 "$@"; }
run() { run_p 2 "$@"; }
one_line() { [ "$(grep -c . <<<"$1")" = 1 ] || fail "$2: expected one line: $1"; }
snapshot() { (cd "$1" && find . -path ./checkpoints -prune -o -type f ! -name .ringattn.lock -print0 | sort -z | xargs -0 md5sum); }

# A run with checkpoints of steps 2 and 4 (as if killed after step 4 of 6; train.steps is
# part of the config hash: the learning-rate schedule depends on it), kept as the pristine
# copy every case starts from.
out=$(run --steps 6 --out-dir "$tmp/base" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "base run exited $rc: $out"
ck=checkpoints
rm -rf "$tmp/base/$ck/step-000000000006"
[ -f "$tmp/base/$ck/step-000000000002/manifest.pb" ] && [ -f "$tmp/base/$ck/step-000000000004/manifest.pb" ] \
  || fail "base run lacks its checkpoints: $(ls -R "$tmp/base")"

# 1. Every kind of damage to the newest checkpoint.
damage() {  # kind dir(step-4) older(step-2)
  local m=$2/manifest.pb
  case $1 in
    missing) rm "$m" ;;
    garbage) printf '\x01\x02garbage' >"$m" ;;
    truncated) truncate -s -5 "$m" ;;  # the closing crc32 only: every record still parses
    empty) : >"$m" ;;
    swapped) cp "$3/manifest.pb" "$m" ;;
    file) rm -rf "$2"; echo "not a directory" >"$2" ;;
    symlink) rm -rf "$2"; ln -s "$3" "$2" ;;
  esac
}
declare -A reason=(
  [missing]="step-000000000004: no readable manifest"
  [garbage]="step-000000000004/manifest.pb: not a checkpoint manifest"
  [truncated]="step-000000000004/manifest.pb: the manifest is truncated or corrupt"
  [empty]="step-000000000004/manifest.pb: not a checkpoint manifest (0 bytes"
  [swapped]="the manifest is of step 2, the directory's name says 4"
  [file]="step-000000000004: a file, not a checkpoint directory"
  [symlink]="step-000000000004: a symbolic link, not a checkpoint directory")
for kind in missing garbage truncated empty swapped file symlink; do
  d=$tmp/dmg-$kind
  cp -a "$tmp/base" "$d"
  damage "$kind" "$d/$ck/step-000000000004" "$d/$ck/step-000000000002"
  before=$(snapshot "$d"); listing=$(ls -la "$d/$ck")
  out=$(run --steps 6 --out-dir "$d" 2>&1); rc=$?
  [ "$rc" = 5 ] || fail "$kind: exit $rc, expected 5: $out"
  one_line "$out" "$kind"
  grep -qF "damaged checkpoint $d/$ck/step-000000000004" <<<"$out" || fail "$kind: entry not named: $out"
  grep -qF "${reason[$kind]}" <<<"$out" || fail "$kind: rule not named ('${reason[$kind]}'): $out"
  grep -qF "train.on_damaged_checkpoint=set_aside" <<<"$out" || fail "$kind: opt-in not named: $out"
  [ "$(snapshot "$d")" = "$before" ] || fail "$kind: the refused run wrote into the output directory"
  [ "$(ls -la "$d/$ck")" = "$listing" ] || fail "$kind: the refused run changed the checkpoints"
  # Opted in: set aside (kept), resumed from step 2, step 4 redone and written again.
  out=$(run --steps 6 --out-dir "$d" --set train.on_damaged_checkpoint=set_aside 2>&1); rc=$?
  [ "$rc" = 0 ] || fail "$kind set_aside: exit $rc: $out"
  grep -qF "warning: damaged checkpoint $d/$ck/step-000000000004" <<<"$out" || fail "$kind: no warning: $out"
  grep -qF "set aside as $d/$ck/step-000000000004.damaged-" <<<"$out" || fail "$kind: not set aside: $out"
  grep -q "resumed from the checkpoint of step 2" <<<"$out" || fail "$kind: did not resume from step 2: $out"
  aside=$(find "$d/$ck" -maxdepth 1 -name 'step-000000000004.damaged-*' | wc -l)
  [ "$aside" = 1 ] || fail "$kind: expected one set-aside entry: $(ls -la "$d/$ck")"
  for s in 2 4 6; do
    [ -f "$d/$ck/step-00000000000$s/manifest.pb" ] || fail "$kind: no checkpoint of step $s: $(ls -la "$d/$ck")"
  done
  cmp -s "$tmp/base/$ck/step-000000000004/tensors-000.bin" "$d/$ck/step-000000000004/tensors-000.bin" \
    || fail "$kind: the redone step 4 differs from the original"
done

# 2. train.resume=false into a directory holding checkpoints: refused before training.
d=$tmp/fresh; cp -a "$tmp/base" "$d"; before=$(snapshot "$d")
out=$(run --steps 6 --out-dir "$d" --set train.resume=false 2>&1); rc=$?
[ "$rc" = 5 ] || fail "resume=false: exit $rc, expected 5: $out"
one_line "$out" "resume=false"
grep -qF "$d/$ck: train.resume=false, but the checkpoint directory already holds 2 checkpoint(s) (newest $d/$ck/step-000000000004)" <<<"$out" \
  || fail "resume=false: directory or contents not named: $out"
grep -qF "Set train.resume=true" <<<"$out" || fail "resume=false: option not named: $out"
[ "$(snapshot "$d")" = "$before" ] || fail "resume=false: the refused run wrote into the output directory"
out=$(run --steps 2 --out-dir "$tmp/fresh-empty" --set train.resume=false 2>&1); rc=$?
[ "$rc" = 0 ] || fail "resume=false into an empty directory: exit $rc: $out"

# 3. Another number of ranks: the world layout is named, not the config hash.
out=$(run_p 1 --steps 6 --out-dir "$tmp/base" --set parallel.layout=contiguous 2>&1); rc=$?
[ "$rc" = 5 ] || fail "P=1 resume of a P=2 run: exit $rc, expected 5: $out"
one_line "$out" "P=1 resume"
grep -qF "$tmp/base/$ck/step-000000000004: world layout 2 ranks (dp=1 sp=2) differs from this run's 1 rank (dp=1 sp=1)" <<<"$out" \
  || fail "P=1 resume: no world-layout message: $out"
grep -q "config hash" <<<"$out" && fail "P=1 resume: blames the config hash: $out"

# 4a. An output directory whose lock another process holds: exit 2, nothing written.
mkdir -p "$tmp/locked"
flock "$tmp/locked/.ringattn.lock" bash -c "echo 'test holder pid $$ on host here' >'$tmp/locked/.ringattn.lock'; sleep 60" &
holder=$!
for _ in $(seq 1 100); do [ -s "$tmp/locked/.ringattn.lock" ] && break; sleep 0.05; done
out=$(run --steps 2 --out-dir "$tmp/locked" 2>&1); rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
[ "$rc" = 2 ] || fail "locked directory: exit $rc, expected 2: $out"
one_line "$out" "locked directory"
grep -qF "$tmp/locked: the output directory is in use by another run (test holder pid $$ on host here" <<<"$out" \
  || fail "locked directory: directory or holder not named: $out"
[ "$(ls -A "$tmp/locked")" = ".ringattn.lock" ] || fail "locked directory: something was written: $(ls -A "$tmp/locked")"

# 4a'. A checkpoint directory of its own (train.checkpoint_dir) is locked too: a run with
# another output directory but the same checkpoint directory refuses; a checkpoint
# directory that is the output directory is not locked twice.
mkdir -p "$tmp/shared-ckpt"
flock "$tmp/shared-ckpt/.ringattn.lock" bash -c "echo 'test holder pid $$' >'$tmp/shared-ckpt/.ringattn.lock'; sleep 60" &
holder=$!
for _ in $(seq 1 100); do [ -s "$tmp/shared-ckpt/.ringattn.lock" ] && break; sleep 0.05; done
out=$(run --steps 2 --out-dir "$tmp/other-out" --set train.checkpoint_dir="$tmp/shared-ckpt" 2>&1); rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
[ "$rc" = 2 ] || fail "locked checkpoint directory: exit $rc, expected 2: $out"
one_line "$out" "locked checkpoint directory"
grep -qF "$tmp/shared-ckpt: the checkpoint directory is in use by another run (test holder pid $$" <<<"$out" \
  || fail "locked checkpoint directory: directory or holder not named: $out"
[ ! -e "$tmp/other-out/config.yaml" ] || fail "locked checkpoint directory: config.yaml was written"
out=$(run --steps 2 --out-dir "$tmp/same" --set train.checkpoint_dir="$tmp/same" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "checkpoint_dir = output_dir: exit $rc: $out"
[ -f "$tmp/same/step-000000000002/manifest.pb" ] || fail "checkpoint_dir = output_dir: no checkpoint: $(ls -A "$tmp/same")"

# 4b. Two runs started together into one directory: one trains, the other refuses. 200
# steps (a few seconds) so that the two overlap even on a loaded machine.
two() { run --steps 200 --out-dir "$tmp/two" --set train.checkpoint_every=0 "$@"; }
two >"$tmp/two-a.log" 2>&1 & a=$!
two >"$tmp/two-b.log" 2>&1 & b=$!
wait $a; rc_a=$?; wait $b; rc_b=$?
codes=$(printf '%s\n' "$rc_a" "$rc_b" | sort | tr '\n' ' ')
[ "$codes" = "0 2 " ] || fail "two runs: exit codes $rc_a and $rc_b, expected 0 and 2: $(cat "$tmp/two-a.log" "$tmp/two-b.log")"
loser=$tmp/two-a.log; [ "$rc_a" = 2 ] || loser=$tmp/two-b.log
grep -qF "$tmp/two: the output directory is in use by another run (ringattn train pid " "$loser" \
  || fail "two runs: the refusal does not name the directory and holder: $(cat "$loser")"
python3 - "$tmp/two/records.jsonl" <<'PY' || fail "two runs: records.jsonl is not one run's: $(cat "$tmp/two/records.jsonl")"
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1]) if '"train_step"' in l]
assert steps == list(range(1, 201)), steps
PY
# The lock goes with its holder: the next run into the directory proceeds.
out=$(two 2>&1); rc=$?
[ "$rc" = 0 ] || fail "after the first run ended: exit $rc: $out"
grep -q "nothing left to train" <<<"$out" || fail "after the first run ended: $out"
# 4c. The holder SIGKILLed: the kernel releases the lock, no stale lock stops the next run.
run --steps 200 --out-dir "$tmp/killed" --set train.checkpoint_dir="$tmp/killed-ckpt" --set train.checkpoint_every=0 \
  >"$tmp/killed.log" 2>&1 & k=$!
for _ in $(seq 1 200); do grep -q '"step":3' "$tmp/killed/records.jsonl" 2>/dev/null && break; sleep 0.05; done
holder_pid=$(sed -n 's/^ringattn train pid \([0-9]*\) .*/\1/p' "$tmp/killed/.ringattn.lock")
[ -n "$holder_pid" ] || fail "killed: no holder line in the lock file: $(cat "$tmp/killed/.ringattn.lock")"
kill -KILL "$holder_pid"
wait $k; rc=$?
[ "$rc" != 0 ] || fail "killed: the job survived the SIGKILL of rank 0"
out=$(run --steps 2 --out-dir "$tmp/killed" --set train.checkpoint_dir="$tmp/killed-ckpt" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "after the holder was killed: exit $rc: $out"
echo PASS
