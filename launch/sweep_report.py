#!/usr/bin/env python3
"""Turns the JSONL records of a sweep (launch/sweep.sh) into OUT/sweep.csv and, with
gnuplot, plots of tokens/s, GFLOP/s per rank and ring efficiency against the number of
ranks, one line per tokens-per-rank (PNG and SVG)."""
import csv
import json
import os
import shutil
import subprocess
import sys

COLUMNS = ["ranks", "tokens_per_rank", "seq_len", "layout", "heads", "kv_heads", "head_dim", "causal", "window",
           "fwd_seconds", "bwd_seconds", "tokens_per_s", "gflops", "gflops_per_rank", "ring_efficiency",
           "ring_efficiency_fwd", "ring_efficiency_bwd", "exposed_comm_fraction", "peak_rss_bytes"]
PLOTS = [("tokens_per_s", "tokens/s (forward + backward)"),
         ("gflops_per_rank", "GFLOP/s per rank"),
         ("ring_efficiency", "ring efficiency (local kernel time / ring time)")]


def main(records_path, out):
    rows = []
    for line in open(records_path):
        if line.strip():
            r = json.loads(line)
            r["tokens_per_rank"] = -(-r["seq_len"] // r["ranks"])
            rows.append(r)
    rows.sort(key=lambda r: (r["tokens_per_rank"], r["ranks"]))
    with open(os.path.join(out, "sweep.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r[c] for c in COLUMNS])
    print(f"wrote {os.path.join(out, 'sweep.csv')} ({len(rows)} points)")
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots (Debian: apt-get install gnuplot-nox)")
        return
    series = sorted({r["tokens_per_rank"] for r in rows})
    for key, title in PLOTS:
        data = os.path.join(out, f"{key}.dat")
        with open(data, "w") as f:
            for t in series:  # one gnuplot data block per tokens-per-rank
                f.write(f"# tokens_per_rank {t}\n")
                for r in rows:
                    if r["tokens_per_rank"] == t:
                        f.write(f"{r['ranks']} {r[key]}\n")
                f.write("\n\n")
        cores = os.cpu_count() or 1
        # Past the machine's cores the ranks time-share cores: mark where that starts.
        marker = (f"set arrow from {cores},graph 0 to {cores},graph 1 nohead dt 2 lc rgb 'gray';"
                  f"set label 'cores: {cores}' at {cores},graph 0.05 offset 0.5,0 tc rgb 'gray';"
                  if max(r["ranks"] for r in rows) > cores else "")
        for term, ext in (("png size 900,500", "png"), ("svg size 900,500", "svg")):
            plot = ", ".join(f"'{data}' index {i} with linespoints lw 2 pt 7 title '{t} tokens/rank'"
                             for i, t in enumerate(series))
            script = (f"set terminal {term}; set output '{os.path.join(out, key + '.' + ext)}';"
                      f"set title '{title}'; set xlabel 'ranks (P)'; set grid; set key outside right top;"
                      f"set xtics 1; set yrange [0:*]; {marker} plot {plot}")
            subprocess.run(["gnuplot", "-e", script], check=True)
        os.remove(data)
    print(f"wrote plots to {out}: " + ", ".join(f"{k}.png/.svg" for k, _ in PLOTS))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
