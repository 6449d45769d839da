"""One epoch of minibatch training of a 64-256-256-10 MLP on digits: coursekit.nn vs torch.

Both train the same float32 model (same initial weights, same batch order, batch 64, SGD with
momentum 0.9) in the same process, interleaved (ours, torch, ours, torch, …) so machine load
hits both alike; the median of ``--runs`` (>= 5) epochs is reported with the ratio ours/torch
(target <= 1.3). The loop timed is the bare one (forward, loss, backward, optimizer step);
``fit`` (which adds gradient norms and an evaluation pass per epoch, and runs BLAS
single-threaded by default) is timed too.

The BLAS/torch thread settings are printed: each configuration runs once with the libraries'
default thread counts and once single-threaded (``--threads`` picks one).

Then the time of one top-eigenvalue (sharpness) estimate of that model on the training set,
and the cost of one of our Hessian-vector products against torch's double backward (float64).

    .venv/bin/python benchmarks/bench_mlp.py [--runs 7] [--threads default|1|both]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from coursekit import curvature, data, nn, optim
from coursekit.train import fit

SIZES = [64, 256, 256, 10]


def our_epoch(model, loss, opt, X, y, batches) -> None:
    params, grads = model.params(), model.grads()
    for idx in batches:
        loss.forward(model.forward(X[idx]), y[idx])
        model.backward(loss.backward())
        opt.step(params, grads)


def torch_epoch(model, crit, opt, X, y, batches) -> None:
    for idx in batches:
        opt.zero_grad()
        crit(model(X[idx]), y[idx]).backward()
        opt.step()


def time_epochs(runs: int, X, y, seed: int = 0) -> dict[str, list[float]]:
    ours = nn.MLP(SIZES, seed=seed, dtype=np.float32)
    ours_fit = copy.deepcopy(ours)
    twin = nn.to_torch(ours)
    loss, crit = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    opt, opt_fit = optim.SGD(lr=0.01, momentum=0.9), optim.SGD(lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {"ours": [], "torch": [], "ours fit()": []}
    for run in range(runs + 1):  # run 0 warms up caches, allocators and torch's dispatch
        batches = data.batch_indices(len(X), 64, rng)
        tbatches = [torch.from_numpy(b) for b in batches]
        t0 = time.perf_counter()
        our_epoch(ours, loss, opt, X, y, batches)
        t1 = time.perf_counter()
        torch_epoch(twin, crit, topt, Xt, yt, tbatches)
        t2 = time.perf_counter()
        fit(ours_fit, loss, opt_fit, X, y, epochs=1, batch_size=64, seed=run)
        t3 = time.perf_counter()
        if run:
            times["ours"].append(t1 - t0)
            times["torch"].append(t2 - t1)
            times["ours fit()"].append(t3 - t2)
    return times


def report_epochs(label: str, runs: int, X, y) -> None:
    times = time_epochs(runs, X, y)
    med = {k: statistics.median(v) for k, v in times.items()}
    steps = -(-len(X) // 64)
    print(f"\n[{label}] one epoch = {steps} steps of batch 64, median of {runs}:")
    for k, v in med.items():
        spread = f"(min {min(times[k]) * 1e3:.1f}, max {max(times[k]) * 1e3:.1f})"
        print(f"  {k:11s} {v * 1e3:8.1f} ms  {v / steps * 1e6:7.0f} us/step  {spread}")
    ratio = med["ours"] / med["torch"]
    verdict = "ok" if ratio <= 1.3 else "OVER TARGET"
    print(f"  ratio ours/torch = {ratio:.2f} (target <= 1.3: {verdict}); "
          f"fit()/torch = {med['ours fit()'] / med['torch']:.2f}")


def report_curvature(X, y) -> None:
    model = nn.MLP(SIZES, seed=0)  # float64: curvature works in float64 anyway
    loss = nn.CrossEntropyLoss()
    fit(model, loss, optim.SGD(lr=0.01, momentum=0.9), X, y, epochs=2, batch_size=64)
    P = nn.count_parameters(model)
    H = curvature.HessianOperator(model, loss, X, y)
    t0 = time.perf_counter()
    values = curvature.lanczos(H.matvec, H.dim, k=1, iters=30, tol=1e-6)[0]
    t1 = time.perf_counter()
    print(f"\n[sharpness] P = {P:,} parameters, {len(X)} samples (float64): "
          f"λ_max = {values[0]:.4f} by Lanczos in {t1 - t0:.2f} s "
          f"({H.matvecs} Hessian-vector products, tol 1e-6)")

    twin = nn.to_torch(model)
    params = list(twin.parameters())
    Xt, yt = torch.tensor(X), torch.tensor(y)
    grads = torch.autograd.grad(torch.nn.functional.cross_entropy(twin(Xt), yt), params,
                                create_graph=True)
    v = np.random.default_rng(0).standard_normal(P)
    vt = torch.split(torch.tensor(v), [p.numel() for p in params])
    ours_t, torch_t = [], []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # ours runs BLAS single-threaded too
    for _ in range(5):
        t0 = time.perf_counter()
        ours = H.matvec(v)
        t1 = time.perf_counter()
        dot = sum((g * u.reshape(g.shape)).sum() for g, u in zip(grads, vt, strict=True))
        ref = torch.cat([h.reshape(-1) for h in
                         torch.autograd.grad(dot, params, retain_graph=True)]).numpy()
        t2 = time.perf_counter()
        ours_t.append(t1 - t0)
        torch_t.append(t2 - t1)
    torch.set_num_threads(threads)
    err = np.max(np.abs(ours - ref)) / np.max(np.abs(ref))
    print(f"  one HVP: ours (complex step) {statistics.median(ours_t) * 1e3:.1f} ms, torch "
          f"double backward {statistics.median(torch_t) * 1e3:.1f} ms (graph built once; both "
          f"single-threaded); "
          f"max relative difference {err:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", choices=["default", "1", "both"], default="both")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be >= 5")
    digits = data.load_digits(dtype=np.float32)
    X, y = digits.X_train, digits.y_train
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; numpy "
          f"{np.__version__} ({blas}); torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    default_threads = torch.get_num_threads()
    if args.threads in ("default", "both"):
        report_epochs("default threads", args.runs, X, y)
    if args.threads in ("1", "both"):
        torch.set_num_threads(1)
        with threadpool_limits(limits=1, user_api="blas"):
            report_epochs("single-threaded", args.runs, X, y)
        torch.set_num_threads(default_threads)
    report_curvature(digits.X_train.astype(np.float64), y)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
