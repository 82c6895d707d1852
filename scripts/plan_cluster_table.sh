#!/usr/bin/env bash
# The cluster-scale table of docs/scaling.md ("At cluster scale, on paper"): `ringattn plan`
# for a causal training step at 1M and 4M tokens of a 7B-class and a 1.3B-class model on 8,
# 32 and 64 GPUs of a hardware profile; prints one markdown row per (model, context, GPUs)
# with the recommended split (the fastest that fits, or the smallest memory when none fits).
# usage: scripts/plan_cluster_table.sh [RINGATTN] [PROFILE]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/build/release/launch/ringattn}
profile=${2:-$here/configs/hardware/h100_sxm.yaml}
base=$here/configs/train/long_context_8gpu.yaml
# Llama-2-7B's shape (vocab 32000, d 4096, 32 layers, 32 heads of 128, MLP 11008) and a
# GPT-3 XL-like 1.3B (d 2048, 24 layers, 16 heads of 128, MLP 8192).
model_7b="--set model.vocab=32000 --set model.d_model=4096 --set model.layers=32 --set model.heads=32 --set model.head_dim=128 --set model.mlp_hidden=11008"
model_1b="--set model.vocab=32000 --set model.d_model=2048 --set model.layers=24 --set model.heads=16 --set model.head_dim=128 --set model.mlp_hidden=8192"
echo "| model | context | GPUs | split sp × dp | tokens/GPU | memory/GPU (GiB) | fits | step (s) | exposed comm | tokens/s | MFU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for m in 1b 7b; do
  eval "mset=\$model_$m"
  name=$([ $m = 7b ] && echo "7B (Llama-2 shape)" || echo "1.3B")
  for seq in 1048576 4194304; do
    for gpus in 8 32 64; do
      # shellcheck disable=SC2086
      "$bin" plan --config "$base" $mset --set train.seq_len=$seq --set parallel.sp=$gpus --set parallel.dp=1 \
        --set parallel.layout=zigzag --set train.eval_every=0 --hardware "$profile" --ranks $gpus --json |
        python3 -c '
import json, sys
d = json.load(sys.stdin)
cands = d["candidates"]
fit = [c for c in cands if c["fits"]]
c = min(fit, key=lambda c: c["step_seconds"]) if fit else min(cands, key=lambda c: c["device_bytes"])
ctx = "%dM" % (d["seq_len"] >> 20)
print("| %s | %s | %d | %d × %d | %d | %.1f | %s | %.1f | %.2f s | %.0f | %.1f %% |" % (
    sys.argv[1], ctx, d["gpus"], c["sp"], c["dp"], c["tokens_per_rank"], c["device_bytes"] / 2**30,
    "yes" if c["fits"] else "**no**", c["step_seconds"], c["exposed_comm_seconds"], c["tokens_per_s"], 100 * c["mfu"]))
' "$name"
    done
  done
done
