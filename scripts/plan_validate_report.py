#!/usr/bin/env python3
"""The report of scripts/plan_validate.sh: from validation.csv and validation_train.csv, the
tables docs/scaling.md carries (validation.md) and two plots (gnuplot, PNG): predicted
against measured seconds (bench passes forward and backward, train steps; log-log, with
the ±15 % band) and peak memory per rank (with the ±10 % band).

    plan_validate_report.py OUT_DIR "CPU NAME"
"""
import csv
import os
import shutil
import subprocess
import sys


def main(out, cpu):
    rows = list(csv.DictReader(open(os.path.join(out, "validation.csv"))))
    f = lambda r, k: float(r[k])
    lines = [f"Predicted (`ringattn plan --for bench`, profile calibrated before each round; medians over the rounds) against measured (`ringattn bench`), {cpu}:\n",
             "| P | tokens/rank | dtype | window | fwd pred / meas (s) | err | bwd pred / meas (s) | err "
             "| peak RSS pred / meas (MiB) | err |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    worst_t = worst_m = 0.0
    for r in rows:
        worst_t = max(worst_t, abs(f(r, "fwd_err")), abs(f(r, "bwd_err")))
        worst_m = max(worst_m, abs(f(r, "rss_err")))
        lines.append(
            f"| {r['ranks']} | {r['tokens_per_rank']} | {r['dtype']} | {r['window']} | "
            f"{f(r, 'pred_fwd_s'):.3f} / {f(r, 'meas_fwd_s'):.3f} | {100 * f(r, 'fwd_err'):+.0f}% | "
            f"{f(r, 'pred_bwd_s'):.3f} / {f(r, 'meas_bwd_s'):.3f} | {100 * f(r, 'bwd_err'):+.0f}% | "
            f"{f(r, 'pred_rss_bytes') / 2**20:.0f} / {f(r, 'meas_rss_bytes') / 2**20:.0f} | {100 * f(r, 'rss_err'):+.0f}% |")
    lines.append(f"\nworst time error {100 * worst_t:.0f}% (target 15%), worst peak-memory error "
                 f"{100 * worst_m:.0f}% (target 10%) over {len(rows)} points")
    train_csv = os.path.join(out, "validation_train.csv")
    train = list(csv.DictReader(open(train_csv))) if os.path.exists(train_csv) else []
    if train:
        lines += ["", f"Predicted (`ringattn plan`, profile calibrated before each round; medians over the rounds) against measured (`ringattn train`, cpu backend; "
                  f"median step after the first), {cpu}:\n",
                  "| P | seq_len × batch | window | layout | tokens/rank | step pred / meas (s) | err "
                  "| peak RSS pred / meas (MiB) | err |",
                  "|---|---|---|---|---|---|---|---|---|"]
        worst_tt = worst_tm = 0.0
        for r in train:
            worst_tt = max(worst_tt, abs(f(r, "step_err")))
            worst_tm = max(worst_tm, abs(f(r, "rss_err")))
            lines.append(
                f"| {r['ranks']} | {r['seq_len']} × {r['batch']} | {r['window']} | {r['layout']} | {r['tokens_per_rank']} | "
                f"{f(r, 'pred_step_s'):.3f} / {f(r, 'meas_step_s'):.3f} | {100 * f(r, 'step_err'):+.0f}% | "
                f"{f(r, 'pred_rss_bytes') / 2**20:.0f} / {f(r, 'meas_rss_bytes') / 2**20:.0f} | {100 * f(r, 'rss_err'):+.0f}% |")
        lines.append(f"\nworst step-time error {100 * worst_tt:.0f}% (target 15%), worst peak-memory error "
                     f"{100 * worst_tm:.0f}% (target 10%) over {len(train)} training points")
    open(os.path.join(out, "validation.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots (Debian: apt-get install gnuplot-nox)")
        return
    with open(os.path.join(out, "validation_time.dat"), "w") as d:
        for p in ("fwd", "bwd"):  # one data block per pass
            d.write(f"# {p}: measured predicted\n")
            for r in rows:
                d.write(f"{r['meas_' + p + '_s']} {r['pred_' + p + '_s']}\n")
            d.write("\n\n")
        d.write("# train steps: measured predicted\n")  # index 2 (a point off the plot when empty)
        for r in train or [{"meas_step_s": 1e9, "pred_step_s": 1e9}]:
            d.write(f"{r['meas_step_s']} {r['pred_step_s']}\n")
    with open(os.path.join(out, "validation_memory.dat"), "w") as d:
        d.write("# measured predicted (MiB)\n")
        for r in rows:
            d.write(f"{f(r, 'meas_rss_bytes') / 2**20} {f(r, 'pred_rss_bytes') / 2**20}\n")
        d.write("\n\n# train: measured predicted (MiB)\n")
        for r in train or [{"meas_rss_bytes": 2**60, "pred_rss_bytes": 2**60}]:
            d.write(f"{float(r['meas_rss_bytes']) / 2**20} {float(r['pred_rss_bytes']) / 2**20}\n")
    title = cpu.replace('"', "")
    script = f"""
set terminal png size 700,600
set grid
set key top left
set output '{out}/validation_time.png'
set title "ringattn plan against ringattn bench (seconds per pass) and train (per step)\\n{title}"
set logscale xy
set xlabel 'measured seconds'
set ylabel 'predicted seconds'
plot [0.002:30] [0.002:30] x title 'exact' lc rgb 'black', 1.15*x title '+/-15 %' dt 2 lc rgb 'gray', 0.85*x notitle dt 2 lc rgb 'gray', \\
  '{out}/validation_time.dat' index 0 using 1:2 with points pt 7 lc rgb '#1f77b4' title 'bench forward', \\
  '' index 1 using 1:2 with points pt 9 lc rgb '#d62728' title 'bench backward', \\
  '' index 2 using 1:2 with points pt 5 lc rgb '#2ca02c' title 'train step'
set output '{out}/validation_memory.png'
set title "ringattn plan against ringattn bench and train: peak memory per rank\\n{title}"
set xlabel 'measured peak RSS (MiB)'
set ylabel 'predicted (MiB)'
plot [30:600] [30:600] x title 'exact' lc rgb 'black', 1.1*x title '+/-10 %' dt 2 lc rgb 'gray', 0.9*x notitle dt 2 lc rgb 'gray', \\
  '{out}/validation_memory.dat' index 0 using 1:2 with points pt 7 lc rgb '#1f77b4' title 'bench', \\
  '' index 1 using 1:2 with points pt 5 lc rgb '#2ca02c' title 'train'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"plots: {out}/validation_time.png, {out}/validation_memory.png")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
