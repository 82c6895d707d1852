#!/usr/bin/env bash
# A rank that never starts must not hold the job forever (issue 14, failure 13): rank 1
# of a 2-rank job is a process that never calls MPI_Init (MPMD launch: `sleep`), so rank
# 0's MPI_Init waits for it with no deadline of its own. The startup watchdog
# (runtime/core/startup_watchdog.h) ends rank 0 after RINGATTN_STARTUP_TIMEOUT seconds
# with exit code 4 and one line naming the stage it waited in; mpirun then ends the job.
# Also: a job that starts normally is not touched by the watchdog after its start (a
# bench longer than the startup deadline finishes).
mpiexec=$1 ringattn=$2
flags=(--oversubscribe --bind-to none)
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
RINGATTN_STARTUP_TIMEOUT=3 "$mpiexec" "${flags[@]}" -n 1 "$ringattn" bench --tokens-per-rank 256 --out-dir "$tmp/b" \
  : -n 1 sleep 60 >"$tmp/out" 2>"$tmp/err"
rc=$?
elapsed=$((SECONDS - start))
[ "$rc" = 4 ] || fail "exit $rc, expected 4; stderr: $(cat "$tmp/err")"
grep -q "ringattn: error: rank 0: startup: MPI initialisation .* did not finish within 3.0 s (RINGATTN_STARTUP_TIMEOUT)" \
  "$tmp/err" || fail "no startup line naming the stage: $(cat "$tmp/err")"
[ "$elapsed" -le 20 ] || fail "took $elapsed s with a 3 s startup deadline"
echo "ok: a rank that never starts ends the job in $elapsed s with exit 4"

# Started normally: the watchdog is disarmed once the backend exists; a run longer than
# the startup deadline is not cut short.
RINGATTN_STARTUP_TIMEOUT=1 "$mpiexec" "${flags[@]}" -n 2 "$ringattn" bench --tokens-per-rank 4096 --reps 6 \
  --out-dir "$tmp/ok" >"$tmp/out2" 2>"$tmp/err2" || fail "a normal bench under a 1 s startup deadline failed: $(cat "$tmp/err2")"
grep -q "startup" "$tmp/err2" && fail "the watchdog spoke in a normal run: $(cat "$tmp/err2")"
echo PASS
