#!/usr/bin/env python3
"""Do two `ringattn train` runs' loss curves agree? Reads the train_step records of two
records.jsonl files (a device run and the CPU run of the same config) and checks, at every
step both logged,

    |L_device - L_cpu| <= rel * L_cpu        (rel: --rel, default 2^-9)

Why 2^-9 (docs/training.md, "On a device"): the device path stores the attention's q, k, v,
o and dout in bf16 (the CUDA kernels' storage), the CPU path in fp32. Each rounding moves
an element by at most 2^-9 of its value (bf16's unit roundoff), and the roundings are
independent across elements, so the loss at step 1 (same parameters) differs by a small
fraction of 2^-9 of itself, and a correct device path keeps the trajectories that close:
measured on the simt backend (tests/cli/train_device_cli_test.sh), |dL|/L <= 5e-5 over 40
steps. The tolerance is one unit roundoff of the loss: 40x that drift, while a 1% error in
the learning rate already moves the loss by > 2^-9 of itself within 10 steps (the test
checks that the tolerance catches it).

  scripts/train_losses_agree.py DEVICE_RECORDS CPU_RECORDS [--rel R] [--expect-disagree]

Prints one line per step and a summary line "max |dL|/L = X (tolerance R) over N steps";
exit 0 when they agree (or, with --expect-disagree, when they do not), 1 otherwise.
"""
import argparse
import json
import sys


def losses(path):
    out = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("record") == "train_step":
                out[r["step"]] = r["loss"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("device")
    ap.add_argument("cpu")
    ap.add_argument("--rel", type=float, default=2.0**-9)
    ap.add_argument("--expect-disagree", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    dev, cpu = losses(a.device), losses(a.cpu)
    steps = sorted(set(dev) & set(cpu))
    if not steps:
        print("no common train_step records")
        return 1
    worst, worst_step = 0.0, steps[0]
    for s in steps:
        rel = abs(dev[s] - cpu[s]) / abs(cpu[s]) if cpu[s] != 0 else abs(dev[s])
        if rel > worst:
            worst, worst_step = rel, s
        if not a.quiet:
            print("step %d: loss device %.6f cpu %.6f |dL|/L %.2e%s" % (s, dev[s], cpu[s], rel,
                                                                      "  > tolerance" if rel > a.rel else ""))
    agree = worst <= a.rel
    print("max |dL|/L = %.2e at step %d (tolerance %.2e) over %d steps: %s" % (
        worst, worst_step, a.rel, len(steps), "agree" if agree else "DISAGREE"))
    return 0 if agree != a.expect_disagree else 1


if __name__ == "__main__":
    sys.exit(main())
