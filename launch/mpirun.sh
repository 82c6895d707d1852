#!/usr/bin/env bash
# Launches an MPI job of ringattn on this node:
#   launch/mpirun.sh [--threads T] [--gpus] P COMMAND [ARGS...]
#   e.g. launch/mpirun.sh 2 build/release/launch/ringattn bench --config configs/demo.yaml
#
#   P            ranks (the ring's sp × dp)
#   --threads T  kernel threads per rank (attention.threads): each rank is bound to T
#                cores of its own when P × T fits the node; otherwise ranks are not bound
#   --gpus       one rank per GPU: rank i of the node sees only GPU i (CUDA_VISIBLE_DEVICES)
#
# It adds what a single node needs: --oversubscribe when P exceeds the cores, and — only
# when run as root, as in containers and CI — Open MPI's explicit permission to do so
# (ringattn itself still wants --allow-root). mpirun's stderr goes through a filter: its
# banners about an MPI_Abort or a non-zero exit are dropped (ringattn's one error line
# says what happened), and a rank killed by a signal — which prints nothing itself —
# becomes one line (docs/errors.md):
#   launch/mpirun.sh: rank 1 (pid 4242, node vm) was killed by signal 9 (Killed); it printed nothing, and mpirun ended the job (exit 137)
# Signals to this script (TERM, INT, HUP, USR1, USR2) are forwarded to mpirun. For
# several nodes use the Slurm templates in launch/slurm/.
set -euo pipefail
usage() { echo "usage: launch/mpirun.sh [--threads T] [--gpus] P COMMAND [ARGS...]" >&2; exit 2; }
threads=1 gpus=0
while [ $# -gt 0 ]; do
  case $1 in
    --threads) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; threads=$2; shift 2 ;;
    --gpus) gpus=1; shift ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || usage
ranks=$1
shift
command -v mpiexec >/dev/null 2>&1 || { echo "launch/mpirun.sh: mpiexec not found; run scripts/setup.sh (Debian: openmpi-bin)" >&2; exit 2; }
cores=$(nproc)
flags=(-n "$ranks")
if [ $((ranks * threads)) -le "$cores" ] && [ "$threads" -gt 1 ]; then
  # Each rank gets T cores of its own: its kernel threads; the comm thread sleeps between polls.
  flags+=(--map-by "slot:PE=$threads" --bind-to core)
else
  flags+=(--bind-to none)
fi
[ "$ranks" -gt "$cores" ] && flags+=(--oversubscribe)
if [ "$gpus" -eq 1 ]; then
  ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
  if [ "$ngpu" -lt "$ranks" ]; then
    echo "launch/mpirun.sh: --gpus with $ranks ranks but $ngpu GPUs on this node (one rank per GPU)" >&2
    exit 2
  fi
  # Rank i of the node sees GPU i only; the rest of the command is unchanged.
  set -- "$(dirname "$0")/rank_gpu.sh" "$@"
fi
# When a job fails, mpirun ends its ranks with SIGTERM and, by default, SIGKILL a second
# later. train catches SIGTERM (preemption: docs/training.md) and so used that second in
# every failed job. The job is over by then — SIGTERM to mpirun ends a job, it does not
# checkpoint it — so the kill follows at once (the fault matrix: a dead rank's job ends in
# ~0.01 s, not ~2 s). A value set by the caller wins.
export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0}
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI's banners are blocks between lines of dashes. Dropped: MPI_Abort's (the rank
# printed its line), "Primary job terminated normally, but 1 process returned a non-zero
# exit code", "mpiexec detected that one or more processes exited with non-zero status"
# (every rank of a job-wide error exits with its code after rank 0's one line), show_help's own resource complaints and its "N more processes have sent
# help message ... mpi-abort". Rewritten to one line: "mpiexec
# noticed that process rank N with PID P on node H exited on signal S (Name)." Any other
# block passes through unchanged.
filter_mpirun_stderr() {
  local -a awk_cmd=(awk)
  # mawk (Debian's awk) reads its input in blocks: -W interactive passes each line at once.
  awk -W version 2>&1 | grep -q mawk && awk_cmd=(awk -W interactive)
  "${awk_cmd[@]}" -v launcher="launch/mpirun.sh" '
    function flush_block(   i, text, m) {
      text = ""
      for (i = 1; i <= n; i++) text = text block[i] "\n"
      if (text ~ /MPI_ABORT was invoked/ || text ~ /Primary job +terminated normally, but/ ||
          text ~ /mpiexec detected that one or more processes exited with non-zero status/) { n = 0; return }
      if (match(text, /process rank [0-9]+ with PID [0-9]+ on node [^ ]+ exited on signal [0-9]+ \([^)]*\)/)) {
        m = substr(text, RSTART, RLENGTH)
        split(m, w, " ")
        # "process rank R with PID P on node H exited on signal S (Name)"
        sig = w[13]; name = m; sub(/.*\(/, "", name); sub(/\).*/, "", name)
        pid = (w[6] == "0") ? "" : "pid " w[6] ", "  # Open MPI 4.1 may print PID 0
        printf "%s: rank %s (%snode %s) was killed by signal %s (%s); it printed nothing, and mpirun ended the job (exit %d)\n", launcher, w[3], pid, w[9], sig, name, 128 + sig
        fflush(); n = 0; return
      }
      for (i = 1; i <= n; i++) print block[i]
      fflush(); n = 0
    }
    /^--------------------+$/ { if (inside) { block[++n] = $0; inside = 0; flush_block() } else { inside = 1; n = 0; block[++n] = $0 }; next }
    inside { block[++n] = $0; next }
    /ORTE_ERROR_LOG: Out of resource in file .*show_help\.c/ { next }
    /^\[[^]]*\] [0-9]+ more process(es)? ha(s|ve) sent help message help-mpi-api\.txt \/ mpi-abort/ { next }
    /^\[[^]]*\] Set MCA parameter "orte_base_help_aggregate"/ { next }
    { print; fflush() }
    END { if (inside) flush_block() }'
}
fifo_dir=$(mktemp -d)
mkfifo "$fifo_dir/stderr"
filter_mpirun_stderr <"$fifo_dir/stderr" >&2 &
filter_pid=$!
exec 3<&0  # a background job's stdin would be /dev/null: mpirun forwards ours to rank 0
mpiexec "${flags[@]}" "$@" <&3 2>"$fifo_dir/stderr" &
mpi_pid=$!
exec 3<&-
for sig in TERM INT HUP USR1 USR2; do
  trap "kill -s $sig $mpi_pid 2>/dev/null" "$sig"
done
set +e
while :; do
  wait "$mpi_pid"
  rc=$?
  kill -0 "$mpi_pid" 2>/dev/null || break  # `wait` returned for a trapped signal: mpirun still runs
done
wait "$filter_pid"
rm -rf "$fifo_dir"
exit "$rc"
