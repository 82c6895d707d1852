#!/usr/bin/env python3
"""A PyTorch ring attention on the CPU, written the way ring-flash-attention's
zigzag_ring_flash_attn is: the peer that launch/bench/ring_vs_torch.sh measures
`ringattn bench` against.

Zigzag layout: the sequence is cut into 2P chunks; rank r holds chunks r and 2P-1-r.
Forward: step 0 is the causal diagonal on the local Q/K/V; at step s the K/V block of
rank (r-s) mod P is used whole against the second half of Q when s > r, or its first
half against the whole Q when s <= r; partial outputs merge through their LSE. Blocks
run on torch's CPU flash kernel (aten._scaled_dot_product_flash_attention_for_cpu,
which returns the LSE; fallback: an explicit fp32 block with its own LSE). K/V travel
over torch.distributed gloo isend/irecv, double-buffered: the next block is in flight
while the current one is computed. Backward: the same steps with the flash backward
kernel (global O and LSE); dQ stays, dK/dV accumulators travel with their K/V block
and come home after the last step.

Rank and size from torchrun (RANK/WORLD_SIZE) or Open MPI (OMPI_COMM_WORLD_*);
MASTER_ADDR/MASTER_PORT from the environment. Rank 0 prints one JSON line per run.
"""
import argparse, json, os, statistics, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch
import torch.distributed as dist
import torch.nn.functional as F

aten = torch.ops.aten
HAVE_FLASH = hasattr(aten, "_scaled_dot_product_flash_attention_for_cpu")


def block_fwd(q, k, v, causal):
    """(out, lse) of one block; lse fp32 (B, H, Lq)."""
    if HAVE_FLASH:
        out, lse = aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, causal)
        return out, lse
    # Fallback: explicit block in fp32 with its LSE (memory Lq×Lk per head).
    s = torch.matmul(q.float(), k.float().transpose(-1, -2)) * q.shape[-1] ** -0.5
    if causal:
        s.masked_fill_(torch.ones(s.shape[-2:], dtype=torch.bool).triu(1), float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    return torch.matmul(torch.exp(s - lse.unsqueeze(-1)), v.float()).to(q.dtype), lse


def block_bwd(dout, q, k, v, out, lse, causal):
    if HAVE_FLASH:
        return aten._scaled_dot_product_flash_attention_for_cpu_backward(dout, q, k, v, out, lse, 0.0, causal)
    s = torch.matmul(q.float(), k.float().transpose(-1, -2)) * q.shape[-1] ** -0.5
    if causal:
        s.masked_fill_(torch.ones(s.shape[-2:], dtype=torch.bool).triu(1), float("-inf"))
    p = torch.exp(s - lse.unsqueeze(-1))
    dv = torch.matmul(p.transpose(-1, -2), dout.float())
    dp = torch.matmul(dout.float(), v.float().transpose(-1, -2))
    delta = (dout.float() * out.float()).sum(-1, keepdim=True)
    ds = p * (dp - delta) * q.shape[-1] ** -0.5
    return (torch.matmul(ds, k.float()).to(q.dtype), torch.matmul(ds.transpose(-1, -2), q.float()).to(q.dtype),
            dv.to(q.dtype))


def merge(out, lse, bout, blse):
    """out (fp32) and lse (fp32, B H L) updated in place with a block's (bout, blse)."""
    if out is None:
        return bout.float(), blse.clone()
    blse_, lse_ = blse.unsqueeze(-1), lse.unsqueeze(-1)
    out.sub_(torch.sigmoid(blse_ - lse_) * (out - bout.float()))
    lse.sub_(F.logsigmoid(lse - blse))
    return out, lse


def wait(reqs):
    for r in reqs[:-1]:  # the last entry holds the send buffers
        r.wait()


class Ring:
    def __init__(self, rank, size):
        self.rank, self.size = rank, size
        self.next, self.prev = (rank + 1) % size, (rank - 1) % size

    def exchange(self, tensors, tag):
        """Starts sending `tensors` to the next rank and receiving the same shapes from
        the previous one; returns (receive buffers, requests)."""
        sends = [t.contiguous() for t in tensors]  # kept alive until the requests complete
        bufs = [torch.empty(t.shape, dtype=t.dtype) for t in tensors]
        reqs = []
        for i, (t, b) in enumerate(zip(sends, bufs)):
            reqs.append(dist.isend(t, self.next, tag=tag + i))
            reqs.append(dist.irecv(b, self.prev, tag=tag + i))
        reqs.append(sends)
        return bufs, reqs

    def forward(self, q, k, v):
        half = q.shape[-2] // 2
        out = lse = None
        kv = [k, v]
        for step in range(self.size):
            if step + 1 < self.size:
                nxt, reqs = self.exchange(kv, 100)
            if step == 0:
                bo, bl = block_fwd(q, kv[0], kv[1], True)
                out, lse = merge(out, lse, bo, bl)
            elif step <= self.rank:
                bo, bl = block_fwd(q, kv[0][:, :, :half], kv[1][:, :, :half], False)
                out, lse = merge(out, lse, bo, bl)
            else:
                bo, bl = block_fwd(q[:, :, half:], kv[0], kv[1], False)
                o2, l2 = merge(out[:, :, half:].clone(), lse[:, :, half:].clone(), bo, bl)
                out[:, :, half:], lse[:, :, half:] = o2, l2
            if step + 1 < self.size:
                wait(reqs)
                kv = nxt
        return out.to(q.dtype), lse

    def backward(self, dout, q, k, v, out, lse):
        half = q.shape[-2] // 2
        dq = torch.zeros(q.shape, dtype=torch.float32)
        kv = [k, v]
        dkv_reqs = None
        for step in range(self.size):
            if step + 1 < self.size:
                nxt, reqs = self.exchange(kv, 200)
            if step == 0:
                gq, gk, gv = block_bwd(dout, q, kv[0], kv[1], out, lse, True)
                dq += gq
                acc = [gk.float(), gv.float()]
            else:
                wait(dkv_reqs)
                acc = dkv_in
                if step <= self.rank:
                    gq, gk, gv = block_bwd(dout, q, kv[0][:, :, :half], kv[1][:, :, :half], out, lse, False)
                    dq += gq
                    acc[0][:, :, :half] += gk
                    acc[1][:, :, :half] += gv
                else:
                    gq, gk, gv = block_bwd(dout[:, :, half:], q[:, :, half:], kv[0], kv[1],
                                           out[:, :, half:], lse[:, :, half:].contiguous(), False)
                    dq[:, :, half:] += gq
                    acc[0] += gk
                    acc[1] += gv
            # The accumulator follows its K/V block to the next rank (after the last step: home).
            dkv_in, dkv_reqs = self.exchange(acc, 300)
            if step + 1 < self.size:
                wait(reqs)
                kv = nxt
        wait(dkv_reqs)
        return dq.to(q.dtype), dkv_in[0].to(q.dtype), dkv_in[1].to(q.dtype)


def zigzag(x, rank, size):
    c = x.chunk(2 * size, dim=-2)
    return torch.cat([c[rank], c[2 * size - 1 - rank]], dim=-2).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seq-len", type=int, default=8192)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="compare once against full-sequence SDPA")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    rank = int(os.environ.get("RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    size = int(os.environ.get("WORLD_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1")))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    ring = Ring(rank, size)
    dt = torch.float32 if a.dtype == "fp32" else torch.bfloat16
    L, H, D = a.seq_len, a.heads, a.head_dim
    assert L % (2 * size) == 0, "seq-len must be a multiple of 2P"
    g = torch.Generator().manual_seed(0)
    full = [torch.randn(1, H, L, D, generator=g).to(dt) for _ in range(4)]  # q, k, v, dout
    q, k, v, dout = (zigzag(t, rank, size) for t in full)
    rec = {"record": "torch_ring", "label": a.label, "ranks": size, "layout": "zigzag", "seq_len": L,
           "heads": H, "head_dim": D, "causal": True, "dtype": a.dtype, "threads": torch.get_num_threads(),
           "block_kernel": "aten._scaled_dot_product_flash_attention_for_cpu" if HAVE_FLASH else "fallback fp32 block",
           "torch": torch.__version__, "reps": a.reps}
    if a.check:
        out, lse = ring.forward(q, k, v)
        dq, dk, dv = ring.backward(dout, q, k, v, out, lse)
        fq, fk, fv = (t.clone().requires_grad_() for t in full[:3])
        fo = F.scaled_dot_product_attention(fq, fk, fv, is_causal=True)
        fo.backward(full[3])
        err = {n: (mine.float() - zigzag(ref.detach(), rank, size).float()).abs().max().item()
               for n, mine, ref in (("out", out, fo), ("dq", dq, fq.grad), ("dk", dk, fk.grad), ("dv", dv, fv.grad))}
        t = torch.tensor([err[n] for n in ("out", "dq", "dk", "dv")])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        rec["max_abs_err_vs_sdpa"] = dict(zip(("out", "dq", "dk", "dv"), t.tolist()))
    fw, bw = [], []
    for i in range(a.warmup + a.reps):
        dist.barrier()
        t0 = time.perf_counter()
        out, lse = ring.forward(q, k, v)
        t1 = time.perf_counter()
        dist.barrier()
        t2 = time.perf_counter()
        ring.backward(dout, q, k, v, out, lse)
        t3 = time.perf_counter()
        t = torch.tensor([t1 - t0, t3 - t2], dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)  # the slowest rank, as ringattn bench reports
        if i >= a.warmup:
            fw.append(t[0].item())
            bw.append(t[1].item())
    rec.update(fwd_seconds=statistics.median(fw), bwd_seconds=statistics.median(bw),
               fwd_samples=fw, bwd_samples=bw)
    if rank == 0:
        print(json.dumps(rec), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
