"""Time coursekit.optim against torch.optim (not a test): three sizes, ratios in one run.

1. 10M float32 parameters (below); 2. a 2-vector: one Adam step against a plain numpy
function doing the same update (``plain_adam``; target <= 1.5: the per-step overhead); 3. the
~85k parameters of the digits MLP 64-256-256-10 (six arrays), one thread on each side (target
<= 1.0 for SGD momentum and Adam). Last, the line count of each optimizer's update rule.
``--sections floor`` times what bare numpy reaches at 10M on this machine: the SGD-momentum
and Adam updates as plain functions (no optimizer, no checks) run over the same cache-sized
slices in the same threads, against torch; ours over that floor is the cost of the plumbing.

For each optimizer, ``step`` is timed on the same data laid out as one array and as a list of
100 arrays, against torch.optim with its default implementation on CPU (``foreach=None``: the
per-tensor loop; ``--foreach`` also times torch's multi-tensor kernels), interleaved (ours,
torch, ours, torch, …) so machine load hits both alike, median of ``--runs`` (>= 7).

Printed: the medians and their ratio ours/torch (targets: Adam <= 0.5, SGD with momentum
<= 1.0, the rest <= 1.5); "best/best", the ratio of the fastest runs, less sensitive to load
spikes; and the peak memory one of our steps allocates beyond the optimizer's state
(tracemalloc sees numpy's buffers), in MB and in parameter-sized arrays. On a shared machine
read the load averages printed first and last; ``--threads 1 --torch-threads 1`` compares the
update code without thread-scheduling noise, and adds the ratios of CPU time (best/best and
medians), which leave out the time spent waiting for a core.

    .venv/bin/python benchmarks/bench_optim.py [--runs 9] [--size 10000000] [--foreach]
        [--only LABELS] [--sections large,small,mlp,rules]
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math
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
    ("RAdam", "RAdam", "RAdam", dict()),
    ("Adamax", "Adamax", "Adamax", dict()),
    ("Rprop", "Rprop", "Rprop", dict()),
    ("ASGD", "ASGD", "ASGD", dict()),
    ("Adafactor", "Adafactor", "Adafactor", dict()),
]  # fmt: skip
TARGET = {"SGD": 1.0, "SGD momentum": 1.0, "Adam": 0.5}
MLP_SHAPES = [(64, 256), (256,), (256, 256), (256,), (256, 10), (10,)]  # 85,002 parameters


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

    ours_times, torch_times = Clocks(), Clocks()
    for _ in range(runs):
        with ours_times.timing():
            ours.step(params, grads)
        with torch_times.timing():
            theirs.step()
    return ours_times, torch_times, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--foreach", action="store_true", help="also time torch foreach=True")
    parser.add_argument("--only", default=None, help="comma-separated labels to run")
    parser.add_argument("--threads", type=int, default=None, help="our threads (default: all)")
    parser.add_argument("--torch-threads", type=int, default=None, help="default: torch's")
    parser.add_argument("--sections", default="large,small,mlp,rules")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if "small" in sections:
        small_step(args.runs)
    if "mlp" in sections:
        mlp_steps(args.runs)
    if "rules" in sections:
        rule_lengths()
    if "floor" in sections:
        numpy_floor(args.size, max(args.runs, 7))
    if "large" not in sections:
        return
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
    one_thread = optim_base.THREADS == 1 and torch.get_num_threads() == 1
    for label, ours_name, torch_name, kwargs in CASES:
        if only is not None and label not in only:
            continue
        for pieces in (1, 100):
            for foreach in modes:
                ours_ts, torch_ts, peak = time_case(ours_name, torch_name, kwargs, args.size,
                                                    pieces, args.runs, foreach)  # fmt: skip
                ours_t, torch_t = statistics.median(ours_ts.wall), statistics.median(torch_ts.wall)
                target = TARGET.get(label, 1.5)
                flag = "" if ours_t / torch_t <= target else "  (over target)"
                layout = f"{pieces} array" + "s" * (pieces > 1)
                print(f"{label:22s} {layout:10s} {'foreach' if foreach else 'default':8s} "
                      f"{ours_t * 1e3:8.1f} {torch_t * 1e3:9.1f} {ours_t / torch_t:6.2f} "
                      f"{min(ours_ts.wall) / min(torch_ts.wall):9.2f} {target:6.1f}  "
                      f"{peak / 2**20:5.2f} MB = {peak / 2**20 / array_mb:.3f} arrays{flag}")
                if one_thread:
                    print(f"{'':42s} CPU time: {ours_ts.ratios(torch_ts).split('CPU ')[1]}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def plain_adam(x, g, m, v, k, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8) -> None:
    """The same Adam step as a bare numpy function: what the optimizer's overhead is measured
    against."""
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * (g * g)
    x -= lr / (1 - beta1**k) * (m / (np.sqrt(v) / math.sqrt(1 - beta2**k) + eps))


def small_step(runs: int, n: int = 20_000) -> None:
    """One Adam step on a 2-vector: coursekit against plain_adam, best of ``runs`` × n steps."""
    g = np.array([0.3, -0.1])
    x, m, v, k = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), 0
    y, opt = x.copy(), optim.Adam()
    ours, plain = Clocks(), Clocks()
    for _ in range(max(runs, 7)):
        with ours.timing(n):
            for _ in range(n):
                opt.step(y, g)
        with plain.timing(n):
            for _ in range(n):
                k += 1
                plain_adam(x, g, m, v, k)
    np.testing.assert_allclose(y, x, rtol=1e-12)  # the same iterates
    print(f"2-vector Adam step: ours {min(ours.wall) * 1e6:.2f} µs, plain numpy function "
          f"{min(plain.wall) * 1e6:.2f} µs (target 1.5); {ours.ratios(plain)}")


class Clocks:
    """Wall-clock and this thread's CPU times of repeated runs. On a loaded machine the CPU
    time of a one-thread run leaves out the time spent waiting for a core."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextlib.contextmanager
    def timing(self, n: int = 1):
        wall, cpu = time.perf_counter(), time.thread_time()
        yield
        self.wall.append((time.perf_counter() - wall) / n)
        self.cpu.append((time.thread_time() - cpu) / n)

    def ratios(self, other: Clocks) -> str:
        """Ours over other's: best/best and medians, by wall clock and by CPU time."""
        def pair(a, b):
            return f"{min(a) / min(b):.2f} / {statistics.median(a) / statistics.median(b):.2f}"
        return (f"best/best and median ratios: wall {pair(self.wall, other.wall)}, "
                f"CPU {pair(self.cpu, other.cpu)}")


def mlp_steps(runs: int, n: int = 200) -> None:
    """SGD momentum and Adam on the digits MLP's ~85k float32 parameters, one thread each."""
    threads, optim_base.THREADS = optim_base.THREADS, 1
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = np.random.default_rng(0)
        params = [rng.standard_normal(s, dtype=np.float32) for s in MLP_SHAPES]
        grads = [rng.standard_normal(s, dtype=np.float32) for s in MLP_SHAPES]
        size = sum(p.size for p in params)
        for label, name, kwargs in (("SGD momentum", "SGD", dict(lr=1e-3, momentum=0.9)),
                                    ("Adam", "Adam", dict(lr=1e-3))):  # fmt: skip
            ours = getattr(optim, name)(**kwargs)
            t_params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
            for tp, g in zip(t_params, grads, strict=True):
                tp.grad = torch.from_numpy(g)
            theirs = getattr(torch.optim, name)(t_params, **kwargs)
            ours_t, torch_t = Clocks(), Clocks()
            for _ in range(max(runs, 7)):
                with ours_t.timing(n):
                    for _ in range(n):
                        ours.step(params, grads)
                with torch_t.timing(n):
                    for _ in range(n):
                        theirs.step()
            print(f"{size:,} params (MLP), 1 thread, {label:12s}: ours "
                  f"{min(ours_t.wall) * 1e6:6.1f} µs, torch {min(torch_t.wall) * 1e6:6.1f} µs "
                  f"(target 1.0); {ours_t.ratios(torch_t)}")
    finally:
        optim_base.THREADS = threads
        torch.set_num_threads(torch_threads)


def plain_sgd_momentum(x, g, b, k, lr=1e-3, momentum=0.9) -> None:
    """torch's SGD(momentum) step as a bare numpy function (k > 1)."""
    b *= momentum
    b += g
    x -= lr * b


def plain_in_slices(plain, arrays: list[np.ndarray], k: int, pool, threads: int) -> None:
    """``plain(*slices, k)`` over CHUNK_BYTES slices of ``arrays`` (x, g, state…), the slices
    split into ``threads`` contiguous runs, the first run in the calling thread."""
    size, chunk = arrays[0].size, optim_base.CHUNK_BYTES // arrays[0].itemsize
    cuts = [size * i // threads for i in range(threads + 1)]

    def run(a: int, b: int) -> None:
        for start in range(a, b, chunk):
            end = min(start + chunk, b)
            plain(*(array[start:end] for array in arrays), k)

    futures = [pool.submit(run, cuts[i], cuts[i + 1]) for i in range(1, threads)]
    run(cuts[0], cuts[1])
    for future in futures:
        future.result()


def numpy_floor(size: int, runs: int) -> None:
    """The plain functions over the same slices in the same threads, beside our optimizers
    and torch, interleaved: what numpy itself reaches on this machine."""
    from concurrent.futures import ThreadPoolExecutor

    threads = optim_base.THREADS
    pool = ThreadPoolExecutor(max_workers=max(threads - 1, 1))
    for label, name, plain, kwargs, buffers in (
            ("SGD momentum", "SGD", plain_sgd_momentum, dict(lr=1e-3, momentum=0.9), 1),
            ("Adam", "Adam", plain_adam, dict(lr=1e-3), 2)):  # fmt: skip
        (x,), (g,) = make_params(size, 1)
        arrays = [x.copy(), g] + [np.zeros_like(x) for _ in range(buffers)]
        ours = getattr(optim, name)(**kwargs)
        t_param = torch.nn.Parameter(torch.from_numpy(x.copy()))
        t_param.grad = torch.from_numpy(g)
        theirs = getattr(torch.optim, name)([t_param], **kwargs)
        plain_t, ours_t, torch_t = Clocks(), Clocks(), Clocks()
        for k in range(2, runs + 3):
            with plain_t.timing():
                plain_in_slices(plain, arrays, k, pool, threads)
            with ours_t.timing():
                ours.step(x, g)
            with torch_t.timing():
                theirs.step()
        plain_ms, ours_ms, torch_ms = (statistics.median(c.wall) * 1e3
                                       for c in (plain_t, ours_t, torch_t))
        print(f"{size:,} float32, {threads} threads, {label:12s}: plain numpy {plain_ms:5.1f} "
              f"ms, ours {ours_ms:5.1f} ms, torch {torch_ms:5.1f} ms (medians); plain/torch "
              f"{plain_ms / torch_ms:.2f}, ours/plain {ours_ms / plain_ms:.2f}")
    pool.shutdown()


def rule_lengths() -> None:
    """Lines of each update rule (``update``; LBFGS: ``two_loop``), docstring excluded."""
    counts = {}
    for name in optim.__all__:
        cls = getattr(optim, name)
        if isinstance(cls, type) and issubclass(cls, optim.Optimizer) and name != "Optimizer":
            method = optim.lbfgs.two_loop if cls is optim.LBFGS else cls.update
            lines = inspect.getsource(method).splitlines()[1:]
            counts[name] = sum(1 for line in lines if line.strip() and not line.strip()
                               .startswith(("#", '"""')))  # fmt: skip
    print("lines of each update rule: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
