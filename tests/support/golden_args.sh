# Sourced by the shell tests that run `ringattn attention` on a golden case:
#   golden_args CASE_DIR   fills the array golden_argv with the tool's arguments for the
#                          case — its tensors (q, k, v, dout, positions, segments, ALiBi
#                          slopes when it has them) and its mask (scale, window, causal)
#                          from meta.json.
golden_args() {
  local case=$1 mask
  mask=$(python3 - "$case/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"--scale {m['scale']!r} --window {m['window']}" + (" --causal" if m["causal"] else ""))
PY
) || return 1
  golden_argv=(--q "$case/q.npy" --k "$case/k.npy" --v "$case/v.npy" --dout "$case/dout.npy"
               --pos-q "$case/pos.npy" --pos-k "$case/pos.npy" --seg-q "$case/seg.npy" --seg-k "$case/seg.npy")
  [ -e "$case/alibi.npy" ] && golden_argv+=(--alibi "$case/alibi.npy")
  # shellcheck disable=SC2206
  golden_argv+=($mask)
}
