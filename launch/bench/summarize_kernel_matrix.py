#!/usr/bin/env python3
"""Summarizes the JSON lines of launch/bench/kernel_matrix.sh as the Markdown table of
docs/performance.md: per configuration the median over rounds of each run's median
seconds, GFLOP/s, the bf16/fp32 time ratio (median of per-round ratios of adjacent runs)
and the causal/non-causal time ratio."""
import json
import statistics
import sys
from collections import defaultdict


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    runs = defaultdict(list)
    for r in rows:
        runs[(r["op"], r["head_dim"], r["causal"], r["dtype"], r["threads"])].append(r)
    med = {k: statistics.median(x["seconds"] for x in v) for k, v in runs.items()}
    print("| op | D | causal | threads | fp32 s | fp32 GFLOP/s | bf16 s | bf16 GFLOP/s | bf16/fp32 time | causal/full time (fp32) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (op, d, causal, dtype, threads), v in sorted(runs.items(), key=lambda kv: (kv[0][4], kv[0][0] != "fwd", kv[0][1], kv[0][2])):
        if dtype != "fp32":
            continue
        f32 = runs[(op, d, causal, "fp32", threads)]
        b16 = runs.get((op, d, causal, "bf16", threads), [])
        g32 = statistics.median(x["gflops"] for x in f32)
        cells = [op, str(d), "yes" if causal else "no", str(threads), f"{med[(op, d, causal, 'fp32', threads)]:.4f}", f"{g32:.1f}"]
        if b16:
            ratios = [b["seconds"] / f["seconds"] for f, b in zip(f32, b16)]
            cells += [f"{med[(op, d, causal, 'bf16', threads)]:.4f}", f"{statistics.median(x['gflops'] for x in b16):.1f}",
                      f"{statistics.median(ratios):.3f}"]
        else:
            cells += ["", "", ""]
        full = (op, d, False, "fp32", threads)
        cells.append(f"{med[(op, d, causal, 'fp32', threads)] / med[full]:.3f}" if causal and full in med else "")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
