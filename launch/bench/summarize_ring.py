#!/usr/bin/env python3
"""Summarizes `ringattn bench` JSONL records (launch/bench/ring_targets.sh) as the
tables of docs/performance.md."""
import json
import sys


def main(path):
    recs = [json.loads(line) for line in open(path) if line.strip()]
    print("| P | layout | window | steps | fwd s | bwd s | eff fwd | eff bwd | exposed comm | tokens/s | GFLOP/s/rank | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in recs:
        print(f"| {r['ranks']} | {r['layout']} | {r['window']} | {r['ring_steps']} | {r['fwd_seconds']:.3f} | "
              f"{r['bwd_seconds']:.3f} | {r['ring_efficiency_fwd']:.3f} | {r['ring_efficiency_bwd']:.3f} | "
              f"{r['exposed_comm_fraction']:.3f} | {r['tokens_per_s']:.0f} | {r['gflops_per_rank']:.1f} | "
              f"{r['peak_rss_bytes'] / 2**20:.1f} |")
    p2 = {r["layout"]: r for r in recs if r["ranks"] == 2 and r["window"] == 0}
    if "zigzag" in p2 and "contiguous" in p2:
        t = lambda r: r["fwd_seconds"] + r["bwd_seconds"]
        print(f"\nzigzag speed-up over contiguous at P = 2 (fwd + bwd): {t(p2['contiguous']) / t(p2['zigzag']):.2f}x")
    mem = {r["ranks"]: r["peak_rss_bytes"] for r in recs if r["window"] == 0 and r["layout"] == "zigzag"}
    if len(mem) > 1:
        ring = {p: m for p, m in mem.items() if p > 1}
        lo, hi = min(ring.values()), max(ring.values())
        print(f"peak RSS per rank, P = {sorted(ring)}: {lo / 2**20:.1f}..{hi / 2**20:.1f} MiB "
              f"(spread {100 * (hi - lo) / lo:.1f}%); P = 1: {mem.get(1, 0) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main(sys.argv[1])
