#!/usr/bin/env bash
# Fault tests with real processes and real signals (ctest: distributed_fault_*):
#   kill   a rank is SIGKILLed mid-ring   -> every rank gone within a few seconds, exit != 0
#   stop   a rank is SIGSTOPped, comm_timeout = 2 s -> exit 4 within the deadline + 1 s, and
#          one line naming the stalled peer, step, hop, bytes, elapsed and deadline
#   short  a rank sends 4 bytes less than the view -> exit 4 naming expected and received bytes
# usage: fault_test.sh <mpiexec> <worker> <kill|stop|short> <ranks>
set -u
mpiexec=$1 worker=$2 fault=$3 ranks=$4
flags=(--oversubscribe --bind-to none)
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

holds() { awk "BEGIN { exit !($1) }"; }  # holds '2.5 < 3'
fail() { echo "FAIL ($fault, P=$ranks): $*"; echo "--- stderr:"; cat "$err"; exit 1; }

start=$(date +%s.%N)
case $fault in
  kill)  "$mpiexec" -n "$ranks" "${flags[@]}" "$worker" kill 1 1 30000 >"$out" 2>"$err"; rc=$? ;;
  stop)  "$mpiexec" -n "$ranks" "${flags[@]}" "$worker" stop 1 1 2000 >"$out" 2>"$err"; rc=$? ;;
  short) "$mpiexec" -n "$ranks" "${flags[@]}" "$worker" short 1 0 30000 >"$out" 2>"$err"; rc=$? ;;
  none)  "$mpiexec" -n "$ranks" "${flags[@]}" "$worker" none 0 0 30000 >"$out" 2>"$err"; rc=$? ;;
  *) echo "unknown fault $fault"; exit 2 ;;
esac
elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.2f", a - b }')
echo "$fault P=$ranks: exit $rc after ${elapsed} s"
grep -h "ringattn: error" "$err" | head -3

case $fault in
  none)
    [ "$rc" -eq 0 ] || fail "clean run exited $rc"
    grep -q "ring finished" "$out" || fail "no 'ring finished' line" ;;
  kill)
    [ "$rc" -ne 0 ] || fail "exit code 0 after a rank was killed"
    holds "$elapsed < 10" || fail "took ${elapsed} s to end the job" ;;
  stop)
    [ "$rc" -eq 4 ] || fail "exit code $rc, expected 4"
    line=$(grep -m1 "ringattn: error" "$err") || fail "no error line"
    for want in "peer rank 1" "step " "hop " "bytes" "after " "deadline comm_timeout = 2.00 s"; do
      [[ $line == *"$want"* ]] || fail "error line lacks '$want': $line"
    done
    waited=$(sed -n 's/.* after \([0-9.]*\) s (deadline.*/\1/p' <<<"$line")
    holds "${waited:-0} >= 2.0 && ${waited:-0} <= 3.0" || fail "waited ${waited} s, deadline 2 s (+1 s allowed)"
    # Start-up, the steps before the stall, the 2 s deadline, +1 s, and mpirun's teardown.
    holds "$elapsed < 8" || fail "job took ${elapsed} s" ;;
  short)
    [ "$rc" -eq 4 ] || fail "exit code $rc, expected 4"
    grep -q "message size mismatch from rank 1: expected [0-9]* bytes, received [0-9]* bytes" "$err" ||
      fail "no line naming expected and received bytes" ;;
esac
echo "PASS"
