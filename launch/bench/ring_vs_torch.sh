#!/usr/bin/env bash
# `ringattn bench` and a PyTorch ring attention (ring_vs_torch.py: zigzag, torch's CPU
# flash kernels, gloo isend/irecv double-buffered, dK/dV travelling) on the same problem:
# P = 2 ranks, causal, 4 heads, D = 64, fp32 and bf16, 1 thread per rank. The sides run
# one after the other, interleaved over rounds, under two launchers: launch/mpirun.sh
# (--bind-to none at 1 thread) and plain `mpiexec -n 2` (Open MPI's default binding).
# The torch ring is checked once per dtype against full-sequence SDPA (max error printed).
#   launch/bench/ring_vs_torch.sh [--quick] [--seq-len L] [--rounds N] [--reps N]
#                                 [--out-dir DIR] [--venv DIR] path/to/ringattn
# Default L = 8192, 2 rounds, 3 reps after 1 warm-up; --quick: L = 2048, 1 round.
# Writes DIR/ring_vs_torch.jsonl (DIR defaults to ringattn-out/ring_vs_torch) and prints a table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: launch/bench/ring_vs_torch.sh [--quick] [--seq-len L] [--rounds N] [--reps N] [--out-dir DIR] [--venv DIR] path/to/ringattn" >&2; exit 2; }
venv=${RINGATTN_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ringattn/torch-venv}
outdir=ringattn-out/ring_vs_torch len=8192 rounds=2 reps=3 bin=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) len=2048; rounds=1; shift ;;
    --seq-len) [ $# -ge 2 ] || usage; len=$2; shift 2 ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || usage; reps=$2; shift 2 ;;
    --out-dir) [ $# -ge 2 ] || usage; outdir=$2; shift 2 ;;
    --venv) [ $# -ge 2 ] || usage; venv=$2; shift 2 ;;
    -*) usage ;;
    *) [ -z "$bin" ] || usage; bin=$1; shift ;;
  esac
done
[ -n "$bin" ] || usage
[ -x "$bin" ] || { echo "ring_vs_torch.sh: $bin is not an executable ringattn" >&2; exit 2; }
command -v mpiexec >/dev/null 2>&1 || { echo "ring_vs_torch.sh: mpiexec not found; run scripts/setup.sh (Debian: openmpi-bin)" >&2; exit 2; }
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null \
  || { echo "ring_vs_torch.sh: no torch venv at $venv; run launch/bench/torch_env.sh first" >&2; exit 2; }
mkdir -p "$outdir"
jsonl=$outdir/ring_vs_torch.jsonl
: > "$jsonl"
py=$venv/bin/python
root=()
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  root=(--allow-root)
fi
# torch.distributed's rendezvous (one node; the port is free-ish by construction).
export MASTER_ADDR=127.0.0.1 MASTER_PORT=$((29500 + RANDOM % 2000)) OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
launch() {  # launcher, then the command
  case $1 in
    mpirun.sh) shift; "$here/../mpirun.sh" 2 "$@" ;;
    mpiexec) shift; mpiexec -q -n 2 "$@" ;;
  esac
}
{ lscpu | sed -n 's/^Model name: *//p' | head -1 | sed 's/^/# CPU: /'
  echo "# torch $("$py" -c 'import torch; print(torch.__version__)'); L=$len, causal, 4 heads, D=64, P=2, 1 thread per rank; $rounds round(s), $reps reps after 1 warm-up"; } >&2
checked=
for round in $(seq "$rounds"); do
  for launcher in mpirun.sh mpiexec; do
    for dtype in fp32 bf16; do
      launch "$launcher" "$bin" bench "${root[@]}" --seq-len "$len" --heads 4 --head-dim 64 --mask causal \
        --layout zigzag --dtype "$dtype" --threads 1 --reps "$reps" --warmup 1 --out-dir "$outdir/ringattn-run" --json \
        | "$py" -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(json.dumps({"side":"ringattn","launcher":sys.argv[1],"round":int(sys.argv[2]),"dtype":sys.argv[3],"fwd_seconds":r["fwd_seconds"],"bwd_seconds":r["bwd_seconds"],"seq_len":r["seq_len"]}))' \
            "$launcher" "$round" "$dtype" >> "$jsonl"
      check=()
      case " $checked " in *" $dtype "*) ;; *) check=(--check); checked="$checked $dtype" ;; esac
      launch "$launcher" "$py" "$here/ring_vs_torch.py" --seq-len "$len" --heads 4 --head-dim 64 --dtype "$dtype" \
        --reps "$reps" --warmup 1 "${check[@]}" \
        | "$py" -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); r.update(side="torch",launcher=sys.argv[1],round=int(sys.argv[2])); print(json.dumps(r))' \
            "$launcher" "$round" >> "$jsonl"
    done
  done
done
"$py" - "$jsonl" <<'PY'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    if r.get("max_abs_err_vs_sdpa"):
        e = r["max_abs_err_vs_sdpa"]
        print(f"# torch ring vs full-sequence SDPA, {r['dtype']}: max |err| out {e['out']:.2e} dq {e['dq']:.2e} dk {e['dk']:.2e} dv {e['dv']:.2e}; block kernel {r['block_kernel']}")
print(f"{'launcher':<10} {'dtype':<5} {'ringattn fwd s':>14} {'torch fwd s':>11} {'fwd ratio':>9} {'ringattn bwd s':>14} {'torch bwd s':>11} {'bwd ratio':>9}")
for launcher in ("mpirun.sh", "mpiexec"):
    for dtype in ("fp32", "bf16"):
        m = {}
        for side in ("ringattn", "torch"):
            for p in ("fwd", "bwd"):
                m[side, p] = statistics.median(r[p + "_seconds"] for r in recs
                                               if r["side"] == side and r["launcher"] == launcher and r["dtype"] == dtype)
        print(f"{launcher:<10} {dtype:<5} {m['ringattn','fwd']:>14.4f} {m['torch','fwd']:>11.4f} {m['torch','fwd']/m['ringattn','fwd']:>9.2f} "
              f"{m['ringattn','bwd']:>14.4f} {m['torch','bwd']:>11.4f} {m['torch','bwd']/m['ringattn','bwd']:>9.2f}")
print("# ratio = torch time / ringattn time (> 1: ringattn faster); medians over rounds of each run's median")
PY
