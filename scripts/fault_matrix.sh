#!/usr/bin/env bash
# The fault matrix (issue 14, docs/errors.md "The fault matrix"): injects one fault per run
# into the real `ringattn bench` and `ringattn train` on 2 and 3 ranks through
# RINGATTN_FAULT (kind:rank:exchange; comm/fault_injecting_communicator.h), times each
# run and classifies it:
#   hang-free   the job ended within deadline + 2 s of the fault (the injector prints the
#               time it struck); a job still running 60 s after its start is ended and
#               counted as a hang
#   code        the documented exit code of the kind (kill 137, stop 4, short 4,
#               exception 70, corrupt 4: the ring checks each block's crc32)
#   named       a line names the faulty rank: kill "launch/mpirun.sh: rank R … killed by
#               signal 9", stop "… peer rank R …" or "rank R … did not arrive", short
#               "… from rank R …", exception "ringattn: error: rank R: …",
#               corrupt "ringattn: error: rank R: … the block received from peer rank Q … is
#               corrupt" (R the rank whose received block was flipped)
# It prints one line per run, then the hang-free rate and the distribution of
# detection latency ÷ deadline (from the strike to the end of the job) per kind.
#
# usage: scripts/fault_matrix.sh [--runs N] [--seed S] [--deadline SECONDS] [--kinds k1,k2,..]
#                                [--ringattn PATH] [--out DIR]
#   defaults: 100 runs, seed 1, deadline 3 s, every kind, build/release/launch/ringattn.
# Runs cycle through kind x command x ranks (5 x 2 x 2 = 20 cells: --runs 100 gives each
# cell 5 runs); the rank and the exchange (hence ring step and hop) are drawn at random
# from what a fault-free run of that cell makes. Exit 0 when every run was hang-free and
# every run had its code and its line; 1 otherwise.
set -u
runs=100 seed=1 deadline=3 kinds="kill,stop,short,corrupt,exception"
here=$(cd "$(dirname "$0")/.." && pwd)
ringattn=$here/build/release/launch/ringattn
out=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --deadline) deadline=$2; shift 2 ;;
    --kinds) kinds=$2; shift 2 ;;
    --ringattn) ringattn=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: scripts/fault_matrix.sh [--runs N] [--seed S] [--deadline S] [--kinds k,..] [--ringattn PATH] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -x "$ringattn" ] || { echo "fault_matrix.sh: no ringattn at $ringattn (build it, or pass --ringattn)" >&2; exit 2; }
mpirun_sh=$here/launch/mpirun.sh
export RINGATTN_ALLOW_ROOT=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$out" ] || out=$tmp/out
mkdir -p "$out"
IFS=, read -r -a kind_list <<<"$kinds"
RANDOM=$seed

# The job of a cell: small, so that a run without a fault takes about a second. A job
# still running after 60 s gets SIGTERM (launch/mpirun.sh forwards it to mpirun), then
# SIGKILL 5 s later: the matrix itself never hangs.
job() {  # job <bench|train> <P> <out-dir>
  local -a args
  case $1 in
    bench) args=(bench --tokens-per-rank 192 --heads 2 --head-dim 16 --reps 2 --warmup 1) ;;
    train) args=(train --config "$here/configs/train/passkey_cpu.yaml" --set train.seq_len=$((32 * $2))
             --set train.batch_size=2 --set train.eval_batches=1 --set train.log_every=5 --set train.eval_every=5
             --set train.checkpoint_every=5 --steps 6) ;;
  esac
  timeout -k 5 60 "$mpirun_sh" "$2" "$ringattn" "${args[@]}" --comm-timeout "$deadline" --out-dir "$3"
}

# Exchanges per rank of a fault-free run of each cell (the injector reports them when its
# fault never strikes): the range the exchange is drawn from.
declare -A exchanges
for cmd in bench train; do
  for p in 2 3; do
    RINGATTN_FAULT=kill:0:999999999 job "$cmd" "$p" "$tmp/cal-$cmd-$p" >/dev/null 2>"$tmp/cal.err"
    n=$(sed -n 's/.*no fault: it made \([0-9]*\) exchanges.*/\1/p' "$tmp/cal.err" | head -1)
    [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "fault_matrix.sh: calibration of $cmd P=$p failed:"; cat "$tmp/cal.err"; exit 1; }
    exchanges[$cmd-$p]=$n
  done
done
echo "deadline $deadline s; exchanges per rank without a fault: bench P=2 ${exchanges[bench-2]}, P=3 ${exchanges[bench-3]}; train P=2 ${exchanges[train-2]}, P=3 ${exchanges[train-3]}"

expected_code() {
  case $1 in kill) echo 137 ;; stop | short | corrupt) echo 4 ;; exception) echo 70 ;; esac
}
# Whether stderr ($2) has a line naming rank $3 as the culprit of fault kind $1.
names_rank() {
  local kind=$1 err=$2 r=$3
  case $kind in
    kill) grep -Eq "^launch/mpirun\.sh: rank $r \(.*\) was killed by signal 9" "$err" ;;
    stop) grep -E "^ringattn: error: " "$err" | sed -E 's/^ringattn: error: rank [0-9]+: //' |
            grep -Eq "peer rank $r([^0-9]|$)|(^|[ ,])rank $r \(its last|ranks? ([0-9]+ \([^)]*\), )*$r \(" ;;
    short) grep -Eq "^ringattn: error: .*message size mismatch from rank $r:" "$err" ;;
    exception) grep -Eq "^ringattn: error: rank $r: fault injection \(RINGATTN_FAULT\): exception" "$err" ;;
    corrupt) grep -Eq "^ringattn: error: rank $r: .* the block received from peer rank [0-9]+ \([0-9]+ bytes\) is corrupt" "$err" ;;
  esac
}

results=$tmp/results.tsv
: >"$results"
printf '%-4s %-9s %-5s %-2s %-5s %-9s %-4s %-6s %-5s %-9s %s\n' run kind cmd P rank exchange exit named hang latency/D outcome
for ((i = 0; i < runs; i++)); do
  kind=${kind_list[$((i % ${#kind_list[@]}))]}
  cell=$((i / ${#kind_list[@]}))
  cmd=$([ $((cell % 2)) -eq 0 ] && echo bench || echo train)
  p=$((2 + (cell / 2) % 2))
  rank=$((RANDOM % p))
  n=${exchanges[$cmd-$p]}
  at=$((RANDOM % n))
  dir=$out/run-$i
  start=$(date +%s.%N)
  RINGATTN_FAULT=$kind:$rank:$at job "$cmd" "$p" "$dir" >"$dir.out" 2>"$dir.err"
  rc=$?
  end=$(date +%s.%N)
  struck=$(sed -n 's/^ringattn: fault injection (RINGATTN_FAULT): .* at unix time \([0-9.]*\)$/\1/p' "$dir.err" | head -1)
  want=$(expected_code "$kind")
  if [ -z "$struck" ]; then
    latency="-" hang=no named="-" outcome="not-injected"
  else
    latency=$(awk -v e="$end" -v s="$struck" -v d="$deadline" 'BEGIN { printf "%.3f", (e - s) / d }')
    hang=$(awk -v e="$end" -v s="$struck" -v d="$deadline" 'BEGIN { print (e - s <= d + 2) ? "no" : "YES" }')
    if names_rank "$kind" "$dir.err" "$rank"; then named=yes; else named=no; fi
    if [ "$rc" = "$want" ] && [ "$named" = yes ] && [ "$hang" = no ]; then
      outcome="ok"
    else
      outcome="FAIL"
    fi
  fi
  printf '%-4s %-9s %-5s %-2s %-5s %-9s %-4s %-6s %-5s %-9s %s\n' "$i" "$kind" "$cmd" "$p" "$rank" "$at" "$rc" "$named" "$hang" "$latency" "$outcome"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$kind" "$cmd" "$p" "$rank" "$at" "$rc" "$hang" "$latency" "$outcome" >>"$results"
  [ "$outcome" = FAIL ] && { echo "--- stderr of run $i:"; cat "$dir.err"; }
done

awk -F'\t' -v d="$deadline" '
  function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
  function q(a, n, f,   k) { k = int(f * (n - 1) + 0.5) + 1; return a[k] }
  {
    injected += ($10 != "not-injected"); total++
    if ($10 != "not-injected") { hangfree += ($8 == "no"); L[$2, ++nl[$2]] = $9; all[++na] = $9 }
    if ($10 == "ok") ok++
    if ($10 == "FAIL") fail++
    kinds[$2] = 1
  }
  END {
    printf "\n%d runs, %d faults injected (%d did not strike: the exchange drawn was past the end of that run)\n", total, injected, total - injected
    printf "hang-free: %d / %d = %.1f%% (ended within deadline + 2 s = %.1f s of the fault)\n", hangfree, injected, injected ? 100 * hangfree / injected : 0, d + 2
    printf "documented exit code and a line naming the faulty rank: %d / %d\n", ok, ok + fail
    printf "detection latency / deadline (fault to end of job):\n"
    printf "  %-10s %4s %7s %7s %7s %7s\n", "kind", "n", "min", "median", "p90", "max"
    for (k in kinds) {
      n = nl[k]; if (n == 0) continue
      for (i = 1; i <= n; i++) v[i] = L[k, i]
      sort(v, n)
      printf "  %-10s %4d %7.3f %7.3f %7.3f %7.3f\n", k, n, v[1], q(v, n, 0.5), q(v, n, 0.9), v[n]
    }
    exit (fail > 0 || hangfree < injected) ? 1 : 0
  }' "$results"
