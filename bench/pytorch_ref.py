#!/usr/bin/env python3
"""PyTorch CPU timings of the bench workloads, single thread, on this machine.

The issue's "PyTorch CPU" column was measured on another machine of the same kind; this
script measures the same workloads here, so the report can give "Chromium vs PyTorch" as a
ratio of one run. It times the usual ways to write the paper's model (SPEC.md) in PyTorch and
the report takes the fastest per workload:

  plain   E = 1: x' = ReLU(x W Wᵀ + b), no router (the dense toy model)
  loop    the common shape of MoE code: route, then for each expert gather its samples,
          run it and scatter-add the gated output (only the k routed experts do work)
  sorted  sort the (sample, slot) pairs by expert, run each expert on its contiguous
          slice, scatter-add back: one gather instead of E
Every expert on every sample in one batched einsum, mixed by the gates, was also tried:
slower than loop on every MoE workload here (1.1x on fig2, 2.7-3.5x on the others), so it
is not timed.

Phase workloads (models > 1) are one vectorised model of all their models (the issue:
"2262 independent models ... one step of all (vectorised)"), every expert computed.

A step = draw a fresh batch (rand <= p, as the reference), forward, loss, backward, AdamW
(lr 1e-3, wd 0.01). Timing follows bench/bench_train.c: one step and on until 300 ms of
warm-up, then the median of REPS repeats of at least TARGET ms (and one step) each.

  /usr/bin/python3 bench/pytorch_ref.py --workloads FILE [--reps 11] [--target-ms 150]
      [--warmup-ms 300] [--ids a,b]
  /usr/bin/python3 bench/pytorch_ref.py --workloads FILE --check [--ids a,b]

--check times nothing: it verifies that what is timed is the model. A workload's
implementations give the same output and gradients on one batch, and 300 steps lower the
loss. It prints {"id","check":"ok",...} per workload and exits 1 on a failure.

FILE: the JSON lines of `bench_train --list`. Prints one JSON line per workload and
implementation: {"id","impl","ms","reps":[...],"torch","blas"}.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

# One thread everywhere, before torch loads its pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def init_params(module, lead, n, m, E, gen):
    """W (*lead,E,n,m), b (*lead,E,n), router (*lead,E,n): SPEC.md section 5's Xavier inits."""
    normal = lambda shape, std: torch.nn.Parameter(torch.randn(shape, generator=gen) * std)  # noqa: E731
    module.W = normal((*lead, E, n, m), math.sqrt(2 / (n * m + E * m)))
    module.b = normal((*lead, E, n), math.sqrt(2 / (E + n)))
    module.router = normal((*lead, E, n), math.sqrt(2 / (E + n)))


def draw_batch(shape, p):
    """Each feature present with probability p, value U[0,1): a fresh batch."""
    return torch.rand(shape).masked_fill_(torch.rand(shape) > p, 0.0)  # the fastest spelling tried


class Moe(torch.nn.Module):
    """One model: W (E,n,m), b (E,n), router (E,n); SPEC.md section 2."""

    def __init__(self, n, m, E, k, impl, gen):
        super().__init__()
        self.E, self.k, self.impl = E, k, impl
        init_params(self, (), n, m, E, gen)

    def forward(self, x):  # x (B,n) -> x' (B,n), probs (B,E), chosen (B,k)
        if self.impl == "plain":
            return torch.relu((x @ self.W[0]) @ self.W[0].T + self.b[0]), None, None
        probs = torch.softmax(x @ self.router.T, dim=-1)
        top_p, chosen = probs.topk(self.k, dim=-1)
        gates = top_p / top_p.sum(-1, keepdim=True)
        if self.impl == "sorted":
            flat = chosen.reshape(-1)
            order = flat.argsort()
            src = order // self.k  # the sample of each sorted (sample, slot) pair
            xs, gs = x[src], gates.reshape(-1)[order]
            ys, at = [], 0
            for e, c in enumerate(torch.bincount(flat, minlength=self.E).tolist()):
                if c:
                    ys.append(torch.relu((xs[at:at + c] @ self.W[e]) @ self.W[e].T + self.b[e]))
                    at += c
            return torch.zeros_like(x).index_add(0, src, torch.cat(ys) * gs.unsqueeze(1)), probs, chosen
        out = torch.zeros_like(x)
        for e in range(self.E):
            rows, slot = (chosen == e).nonzero(as_tuple=True)
            if rows.numel() == 0:
                continue
            h = x[rows] @ self.W[e]
            y = torch.relu(h @ self.W[e].T + self.b[e])
            out = out.index_add(0, rows, gates[rows, slot].unsqueeze(1) * y)
        return out, probs, chosen


class ManyMoe(torch.nn.Module):
    """M independent models in one set of tensors: W (M,E,n,m), b (M,E,n), router (M,E,n)."""

    def __init__(self, M, n, m, E, gen):
        super().__init__()
        init_params(self, (M,), n, m, E, gen)

    def forward(self, x):  # x (M,B,n), k = 1
        probs = torch.softmax(torch.einsum("Mbn,Men->Mbe", x, self.router), dim=-1)
        chosen = probs.argmax(-1, keepdim=True)  # (M,B,1)
        h = torch.einsum("Mbn,Menm->Mbem", x, self.W)
        y = torch.relu(torch.einsum("Mbem,Menm->Mben", h, self.W) + self.b.unsqueeze(1))
        pick = chosen.unsqueeze(-1).expand(-1, -1, 1, y.shape[-1])
        return y.gather(2, pick).squeeze(2), probs, chosen


def make_model(w, impl):
    gen = torch.Generator().manual_seed(0)
    if w["models"] > 1:
        return ManyMoe(w["models"], w["n"], w["m"], w["E"], gen)
    return Moe(w["n"], w["m"], w["E"], w["k"], impl, gen)


def impls_of(w):
    return ["vectorised"] if w["models"] > 1 else ["plain"] if w["E"] == 1 else ["loop", "sorted"]


def make_step(w, impl):
    n, E, B, M = w["n"], w["E"], w["batch"], w["models"]
    p = w["config"]["p"]
    mean_loss = w["config"].get("loss") == "mean"
    lb = bool(w["load_balance"])
    model = make_model(w, impl)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    shape = (M, B, n) if M > 1 else (B, n)

    def step():
        x = draw_batch(shape, p)
        out, probs, chosen = model(x)
        err = (x - out) ** 2  # uniform importance
        loss = err.mean((-2, -1)) if mean_loss else err.sum(-1).mean(-1)
        if lb:  # Switch load balancing, alpha = 0.01: f (no gradient) . P, per model
            f = torch.nn.functional.one_hot(chosen, E).sum(-2).float().mean(-2)
            loss = loss + 0.01 * E * (f * probs.mean(-2)).sum(-1)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()

    return step, model, shape


def check(w):
    """Raises AssertionError when the timed model is not the model."""
    torch.manual_seed(1)
    w = {**w, "models": min(w["models"], 16)}  # the math, not the count: 16 of a phase's models
    steps = {impl: make_step(w, impl) for impl in impls_of(w)}
    x = draw_batch(next(iter(steps.values()))[2], w["config"]["p"])
    outs = {}
    for impl, (step, model, _) in steps.items():
        out, _, _ = model(x)
        out.pow(2).sum().backward()
        outs[impl] = (out.detach(), [q.grad.clone() for q in model.parameters() if q.grad is not None])
        model.zero_grad(set_to_none=True)
    ref_out, ref_grads = next(iter(outs.values()))
    for impl, (out, grads) in outs.items():
        assert torch.allclose(out, ref_out, rtol=1e-5, atol=1e-6), f"{w['id']}: {impl} output differs"
        assert len(grads) == len(ref_grads) and all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(grads, ref_grads)), \
            f"{w['id']}: {impl} gradients differ"
    # Training lowers the loss on a fixed evaluation batch (the first impl; the others compute the same).
    step, model, _ = next(iter(steps.values()))
    with torch.no_grad():
        before = float(((x - model(x)[0]) ** 2).mean())
    for _ in range(300):
        step()
    with torch.no_grad():
        after = float(((x - model(x)[0]) ** 2).mean())
    assert after < 0.9 * before, f"{w['id']}: 300 steps took the loss from {before:.4g} to {after:.4g}"
    return {"id": w["id"], "check": "ok", "impls": list(steps), "loss_before": before, "loss_after": after}


def time_steps(step, reps, target_ms, warmup_ms):
    t0 = time.perf_counter()
    step()
    while time.perf_counter() - t0 < warmup_ms / 1e3:
        step()
    times = []
    for _ in range(reps):
        steps, t0 = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            dt = time.perf_counter() - t0
            if dt * 1e3 >= target_ms:
                break
        times.append(dt * 1e3 / steps)
    return statistics.median(times), times


def blas_name():
    try:
        real = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
        return "openblas" if "openblas" in real else ("reference" if "/blas/" in real else real)
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--target-ms", type=float, default=150)
    ap.add_argument("--warmup-ms", type=float, default=300)
    ap.add_argument("--ids", default="")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    wanted = set(filter(None, a.ids.split(",")))
    with open(a.workloads) as f:
        loads = [json.loads(line) for line in f if line.strip()]
    loads = [w for w in loads if (w["id"] in wanted if wanted else w["group"] == "main")]
    if wanted and len(loads) != len(wanted):
        sys.exit(f"pytorch_ref.py: unknown workload id in {sorted(wanted)}")
    for w in loads:
        if a.check:
            try:
                print(json.dumps(check(w)), flush=True)
            except AssertionError as err:
                sys.exit(f"pytorch_ref.py --check: {err}")
            continue
        for impl in impls_of(w):
            ms, reps = time_steps(make_step(w, impl)[0], a.reps, a.target_ms, a.warmup_ms)
            print(json.dumps({"id": w["id"], "impl": impl, "ms": ms, "reps": reps,
                              "torch": torch.__version__, "blas": blas_name()}), flush=True)


if __name__ == "__main__":
    main()
