#!/usr/bin/env python3
"""Side by side: ringattn kernel-bench against PyTorch's CPU scaled_dot_product_attention.

Run by launch/bench/kernel_vs_torch.sh inside the torch venv. For every shape the two
sides alternate (A B A B ...) `rounds` times, one thread each, so machine noise hits
both alike. FLOPs as kernel-bench counts them (docs/design.md §10): forward
4·L²·D·H, halved when causal; backward 2.5× forward.
"""
import argparse, json, os, platform, re, statistics, subprocess, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch
import torch.nn.functional as F

ISA = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_info():
    name, flags = platform.processor() or "?", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and name in ("?", "", "x86_64"):
                    name = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return name, {k: (k in flags) for k in ISA}


def sdpa_ctx():
    """Context forcing the flash-attention CPU kernel where torch offers it."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        return (lambda: sdpa_kernel([SDPBackend.FLASH_ATTENTION])), "flash (sdpa_kernel FLASH_ATTENTION)"
    except ImportError:
        pass
    try:
        return (lambda: torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False,
                                                        enable_mem_efficient=False)), "flash (backends.cuda.sdp_kernel)"
    except AttributeError:
        import contextlib
        return contextlib.nullcontext, "default (could not force a backend)"


def torch_time(L, H, D, causal, dtype, op, reps, ctx):
    torch.manual_seed(0)
    dt = torch.float32 if dtype == "fp32" else torch.bfloat16
    q, k, v = (torch.randn(1, H, L, D, dtype=dt).requires_grad_() for _ in range(3))
    g = torch.randn(1, H, L, D, dtype=dt)
    samples = []
    with ctx():
        for _ in range(reps):
            q.grad = k.grad = v.grad = None
            t0 = time.perf_counter()
            out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            t1 = time.perf_counter()
            if op == "bwd":
                out.backward(g)
                t2 = time.perf_counter()
                samples.append(t2 - t1)
            else:
                samples.append(t1 - t0)
            del out
    return samples


def ringattn_time(bin_, L, H, D, causal, dtype, op, reps, warmup):
    cmd = [bin_, "kernel-bench", "--op", op, "--len", str(L), "--heads", str(H), "--head-dim", str(D),
           "--dtype", dtype, "--threads", "1", "--reps", str(reps), "--warmup", str(warmup), "--json"]
    if causal:
        cmd.append("--causal")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rec = json.loads(out.strip().splitlines()[-1])
    return rec["samples_seconds"]


def flops(L, H, D, causal, op):
    f = 4.0 * L * L * D * H * (0.5 if causal else 1.0)
    return f * (2.5 if op == "bwd" else 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringattn", required=True)
    ap.add_argument("--out", required=True, help="JSON lines file")
    ap.add_argument("--len", type=int, default=4096)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--head-dims", default="64,128")
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--causal", default="no,yes")
    ap.add_argument("--ops", default="fwd,bwd")
    ap.add_argument("--rounds", type=int, default=3, help="A/B alternations per shape (>= 3)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    ctx, backend = sdpa_ctx()
    name, isa = cpu_info()
    # Which kernel actually ran: ask torch with only flash allowed; a refusal falls back.
    try:
        with ctx():
            F.scaled_dot_product_attention(*(torch.randn(1, 1, 64, 64) for _ in range(3)))
    except RuntimeError as e:
        import contextlib
        ctx, backend = contextlib.nullcontext, f"default (flash refused: {str(e).splitlines()[0][:80]})"
    header = {"record": "header", "cpu": name, **isa, "torch": torch.__version__,
              "torch_threads": torch.get_num_threads(), "torch_backend": backend,
              "torch_cpu_capability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: "?")(),
              "len": a.len, "heads": a.heads, "rounds": a.rounds}
    print(f"# CPU: {name}; " + " ".join(f"{k}={'yes' if v else 'no'}" for k, v in isa.items()))
    print(f"# torch {torch.__version__} ({header['torch_cpu_capability']}), 1 thread, SDPA backend: {backend}")
    print(f"# ringattn: {a.ringattn} kernel-bench --threads 1; L={a.len}, heads={a.heads}; "
          f"{a.rounds} alternations A(ringattn) B(torch) per shape, medians")
    rows = []
    with open(a.out, "w") as out:
        out.write(json.dumps(header) + "\n")
        print(f"{'D':>4} {'causal':>6} {'dtype':>5} {'pass':>4} {'ringattn s':>11} {'torch s':>9} "
              f"{'ringattn GF/s':>13} {'torch GF/s':>10} {'ratio':>6}", flush=True)
        for D in map(int, a.head_dims.split(",")):
            for causal in [c == "yes" for c in a.causal.split(",")]:
                for dtype in a.dtypes.split(","):
                    for op in a.ops.split(","):
                        ra, tb = [], []
                        torch_time(a.len, a.heads, D, causal, dtype, op, 1, ctx)  # warm-up
                        for _ in range(a.rounds):
                            ra += ringattn_time(a.ringattn, a.len, a.heads, D, causal, dtype, op, 1, 1)
                            tb += torch_time(a.len, a.heads, D, causal, dtype, op, 1, ctx)
                        rs, ts = statistics.median(ra), statistics.median(tb)
                        fl = flops(a.len, a.heads, D, causal, op)
                        rec = {"record": "kernel_vs_torch", "len": a.len, "heads": a.heads, "head_dim": D,
                               "causal": causal, "dtype": dtype, "op": op, "ringattn_seconds": rs,
                               "torch_seconds": ts, "ringattn_gflops": fl / rs / 1e9,
                               "torch_gflops": fl / ts / 1e9, "ratio": ts / rs,
                               "ringattn_samples": ra, "torch_samples": tb}
                        out.write(json.dumps(rec) + "\n")
                        out.flush()
                        print(f"{D:>4} {'yes' if causal else 'no':>6} {dtype:>5} {op:>4} {rs:>11.4f} {ts:>9.4f} "
                              f"{rec['ringattn_gflops']:>13.1f} {rec['torch_gflops']:>10.1f} {rec['ratio']:>6.2f}",
                              flush=True)


if __name__ == "__main__":
    sys.exit(main())
