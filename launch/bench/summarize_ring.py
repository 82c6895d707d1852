#!/usr/bin/env python3
"""Summarizes `ringattn bench` JSONL records (launch/bench/ring_targets.sh) as the
tables of docs/performance.md: one row per configuration (medians over the runs of it),
the zigzag/contiguous speed-up per round, and peak memory against P."""
import json
import statistics
import sys
from collections import defaultdict

FIELDS = ["fwd_seconds", "bwd_seconds", "ring_efficiency_fwd", "ring_efficiency_bwd", "exposed_comm_fraction",
          "tokens_per_s", "gflops_per_rank", "peak_rss_bytes"]


def main(path):
    recs = [json.loads(line) for line in open(path) if line.strip()]
    groups = defaultdict(list)
    for r in recs:
        groups[(r["ranks"], r["layout"], r["window"])].append(r)
    print("| P | layout | window | steps | runs | fwd s | bwd s | eff fwd | eff bwd | exposed comm | tokens/s "
          "| GFLOP/s/rank | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (p, layout, window), rs in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][1] != "zigzag", kv[0][0])):
        m = {f: statistics.median(r[f] for r in rs) for f in FIELDS}
        print(f"| {p} | {layout} | {window} | {rs[0]['ring_steps']} | {len(rs)} | {m['fwd_seconds']:.3f} | "
              f"{m['bwd_seconds']:.3f} | {m['ring_efficiency_fwd']:.3f} | {m['ring_efficiency_bwd']:.3f} | "
              f"{m['exposed_comm_fraction']:.3f} | {m['tokens_per_s']:.0f} | {m['gflops_per_rank']:.1f} | "
              f"{m['peak_rss_bytes'] / 2**20:.1f} |")
    # Rounds: consecutive (zigzag, contiguous) pairs at P = 2 without a window.
    seq = [r for r in recs if r["ranks"] == 2 and r["window"] == 0 and r["layout"] in ("zigzag", "contiguous")]
    total = lambda r: r["fwd_seconds"] + r["bwd_seconds"]
    ratios = [total(c) / total(z) for z, c in zip(seq[::2], seq[1::2])
              if z["layout"] == "zigzag" and c["layout"] == "contiguous"]
    if ratios:
        print(f"\nzigzag speed-up over contiguous at P = 2 (fwd + bwd), per round: "
              f"{', '.join(f'{x:.2f}' for x in ratios)}x (median {statistics.median(ratios):.2f}x)")
    mem = defaultdict(list)
    for r in recs:
        if r["window"] == 0 and r["layout"] == "zigzag":
            mem[r["ranks"]].append(r["peak_rss_bytes"])
    ring = {p: max(v) for p, v in mem.items() if p > 1}
    if len(ring) > 1:
        lo, hi = min(ring.values()), max(ring.values())
        print(f"peak RSS per rank, P = {sorted(ring)}: {lo / 2**20:.1f}..{hi / 2**20:.1f} MiB "
              f"(spread {100 * (hi - lo) / lo:.1f}%); P = 1: {max(mem.get(1, [0])) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main(sys.argv[1])
