"""Time coursekit.optim against torch.optim on 10M float32 parameters (not a test).

For each optimizer, ``step`` is timed on the same data laid out as one array and as a list of
100 arrays, against torch.optim with its default implementation on CPU (``foreach=None``: the
per-tensor loop; ``--foreach`` also times torch's multi-tensor kernels), interleaved (ours,
torch, ours, torch, …) so machine load hits both alike, median of ``--runs`` (>= 7).

Printed: the medians and their ratio ours/torch (target <= 1.0 for SGD, momentum SGD and Adam,
<= 1.5 for the rest); "best/best", the ratio of the fastest runs, less sensitive to load
spikes; and the peak memory one of our steps allocates beyond the optimizer's state
(tracemalloc sees numpy's buffers), in MB and in parameter-sized arrays. On a shared machine
read the load averages printed first and last; ``--threads 1 --torch-threads 1`` compares the
update code without thread-scheduling noise.

    .venv/bin/python benchmarks/bench_optim.py [--runs 9] [--size 10000000] [--foreach]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np
import torch

from coursekit import optim
from coursekit.optim import base as optim_base

CASES = [  # (label, our class, torch class, kwargs)
    ("SGD", "SGD", "SGD", dict(lr=1e-3)),
    ("SGD momentum", "SGD", "SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD nesterov+wd", "SGD", "SGD", dict(lr=1e-3, momentum=0.9, nesterov=True,
                                           weight_decay=1e-4)),
    ("Adam", "Adam", "Adam", dict(lr=1e-3)),
    ("Adam amsgrad", "Adam", "Adam", dict(lr=1e-3, amsgrad=True)),
    ("AdamW", "AdamW", "AdamW", dict(lr=1e-3)),
    ("Adagrad", "Adagrad", "Adagrad", dict(lr=1e-2)),
    ("RMSprop", "RMSprop", "RMSprop", dict(lr=1e-3)),
    ("RMSprop centered+mom", "RMSprop", "RMSprop", dict(lr=1e-3, centered=True, momentum=0.9)),
    ("Adadelta", "Adadelta", "Adadelta", dict()),
    ("NAdam", "NAdam", "NAdam", dict()),
]  # fmt: skip
TARGET = {"SGD": 1.0, "SGD momentum": 1.0, "Adam": 1.0}


def make_params(size: int, pieces: int, seed: int = 0) -> tuple[list[np.ndarray], list]:
    rng = np.random.default_rng(seed)
    n = size // pieces
    params = [rng.standard_normal(n, dtype=np.float32) for _ in range(pieces)]
    grads = [rng.standard_normal(n, dtype=np.float32) for _ in range(pieces)]
    return params, grads


def time_case(ours_name, torch_name, kwargs, size, pieces, runs, foreach):
    params, grads = make_params(size, pieces)
    ours = getattr(optim, ours_name)(**kwargs)
    t_params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    for tp, g in zip(t_params, grads, strict=True):
        tp.grad = torch.from_numpy(g)
    theirs = getattr(torch.optim, torch_name)(t_params, foreach=foreach, **kwargs)
    ours.step(params, grads)  # allocate state on both sides before timing
    theirs.step()

    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    ours.step(params, grads)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()

    ours_times, torch_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        ours.step(params, grads)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs.step()
        torch_times.append(time.perf_counter() - start)
    return ours_times, torch_times, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--foreach", action="store_true", help="also time torch foreach=True")
    parser.add_argument("--only", default=None, help="comma-separated labels to run")
    parser.add_argument("--threads", type=int, default=None, help="our threads (default: all)")
    parser.add_argument("--torch-threads", type=int, default=None, help="default: torch's")
    args = parser.parse_args()
    if args.runs < 7:
        parser.error("--runs must be >= 7")
    if args.threads is not None:
        optim_base.THREADS = args.threads
    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    print(f"numpy {np.__version__} (coursekit: {optim_base.THREADS} threads), torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads), {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.1f}; {args.size:,} float32 params, "
          f"median of {args.runs}")  # fmt: skip
    array_mb = args.size * 4 / 2**20
    modes = [None, True] if args.foreach else [None]
    header = f"{'optimizer':22s} {'layout':10s} {'torch':8s} {'ours ms':>8s} {'torch ms':>9s} "
    print(header + f"{'ratio':>6s} {'best/best':>9s} {'target':>6s}  peak extra memory per step")
    only = None if args.only is None else set(args.only.split(","))
    for label, ours_name, torch_name, kwargs in CASES:
        if only is not None and label not in only:
            continue
        for pieces in (1, 100):
            for foreach in modes:
                ours_ts, torch_ts, peak = time_case(ours_name, torch_name, kwargs, args.size,
                                                    pieces, args.runs, foreach)  # fmt: skip
                ours_t, torch_t = statistics.median(ours_ts), statistics.median(torch_ts)
                target = TARGET.get(label, 1.5)
                flag = "" if ours_t / torch_t <= target else "  (over target)"
                layout = f"{pieces} array" + "s" * (pieces > 1)
                print(f"{label:22s} {layout:10s} {'foreach' if foreach else 'default':8s} "
                      f"{ours_t * 1e3:8.1f} {torch_t * 1e3:9.1f} {ours_t / torch_t:6.2f} "
                      f"{min(ours_ts) / min(torch_ts):9.2f} {target:6.1f}  {peak / 2**20:5.2f} MB"
                      f" = {peak / 2**20 / array_mb:.3f} arrays{flag}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
