"""The plumbing every optimizer shares: argument checks, per-parameter state, in-place stepping.

An optimizer here is a small class with two methods a student reads:

- ``init_state(p)``: the buffers one parameter array needs (momentum, moment estimates, …),
- ``update(p, g, s, scratch)``: the update rule, applied in place to ``p`` given the gradient
  ``g``, the state ``s`` (buffers plus the step count ``s["step"]``, already incremented, so
  ``k = 1`` on the first step) and preallocated scratch arrays.

(NAdam also overrides ``begin_step(state)``, which advances scalar state once per step.)

Everything else lives here, once: ``step(params, grads)`` checks its arguments, creates state
keyed by position in the list, and feeds ``update`` the arrays in cache-sized slices so a step
allocates no temporaries and streams each array through memory once. Large steps split their
slices between ``THREADS`` threads (numpy releases the GIL inside ufuncs); the result does not
depend on the split, since every update rule is elementwise.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numpy as np

Params = np.ndarray | Sequence[np.ndarray]

#: bytes of one array per slice handed to ``update``: the slices of p, g, the state and the
#: scratch arrays stay in cache between the few ufuncs of an update rule, while the Python
#: overhead per slice stays small.
CHUNK_BYTES = 512 * 1024
#: threads a large step is split between (like torch's intra-op threads); 1 disables threading
THREADS = min(os.cpu_count() or 1, 4)
#: steps with fewer elements than this run in the calling thread
PARALLEL_MIN_SIZE = 1 << 20

_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def check_nonnegative(name: str, value: float) -> float:
    """Return ``float(value)``, or raise ValueError unless it is finite and >= 0."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}") from None
    if not (math.isfinite(x) and x >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return x


def check_unit_interval(name: str, value: float) -> float:
    """Return ``float(value)``, or raise ValueError unless 0 <= value < 1."""
    x = check_nonnegative(name, value)
    if not x < 1.0:
        raise ValueError(f"{name} must lie in [0, 1); got {value!r}")
    return x


def check_betas(betas: Sequence[float]) -> tuple[float, float]:
    """Return ``betas`` as two floats in [0, 1), or raise ValueError naming the bad one."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
    return check_unit_interval("betas[0]", betas[0]), check_unit_interval("betas[1]", betas[1])


def moving_average(avg: np.ndarray, x: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """avg ← β·avg + (1 − β)·x in place (``tmp``: scratch shaped like x)."""
    avg *= beta
    np.multiply(x, 1.0 - beta, out=tmp)
    avg += tmp


def moving_average_of_squares(avg: np.ndarray, x: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """avg ← β·avg + (1 − β)·x² in place (``tmp``: scratch shaped like x)."""
    avg *= beta
    np.multiply(x, x, out=tmp)
    tmp *= 1.0 - beta
    avg += tmp


def _as_list(params: Params, grads: Params) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pair up params and grads, checking types, count, shapes and dtypes."""
    if isinstance(params, np.ndarray):
        if not isinstance(grads, np.ndarray):
            grads = np.asarray(grads)
        plist, glist = [params], [grads]
    elif isinstance(params, (list, tuple)):
        if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
            raise ValueError(
                "grads must be a list of arrays like params (a list of "
                f"{len(params)} arrays); got {type(grads).__name__}"
            )
        plist, glist = list(params), [np.asarray(g) for g in grads]
    else:
        raise ValueError(
            "params must be a numpy array or a list of numpy arrays (updated in place); "
            f"got {type(params).__name__}"
        )
    if len(plist) != len(glist):
        raise ValueError(f"grads has {len(glist)} arrays but params has {len(plist)}")
    for i, (p, g) in enumerate(zip(plist, glist, strict=True)):
        if not isinstance(p, np.ndarray):
            raise ValueError(
                f"params[{i}] must be a numpy array (updated in place); got {type(p).__name__}"
            )
        if p.dtype.kind != "f":
            raise ValueError(
                f"params[{i}] has dtype {p.dtype}; optimizers update parameters in place and "
                "need a floating-point array (e.g. x.astype(np.float64))"
            )
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
        if g.dtype != p.dtype:
            raise ValueError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has dtype {p.dtype}")
    return plist, glist


def _all_finite(g: np.ndarray) -> bool:
    """Whether every entry of the 1-D slice g is finite, with one cheap reduction.

    g·g is finite iff every entry is, or it overflowed (then look closer). It runs on a slice
    that is in cache for the update anyway, so the check costs no pass over memory.
    """
    if g.size <= 256:
        return bool(np.isfinite(g).all())
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.dot(g, g)) or np.isfinite(g).all())


def _in_threads(work: Callable[[list, int], list], items: list, sizes: list[int]) -> list:
    """``work(run, worker)`` over THREADS contiguous runs of ``items`` of about equal total size.

    Small jobs (fewer than PARALLEL_MIN_SIZE elements) run in the calling thread. Returns the
    concatenated results, in the order of ``items``.
    """
    global _pool, _pool_size
    total = sum(sizes)
    threads = min(THREADS, len(items))
    if threads <= 1 or total < PARALLEL_MIN_SIZE:
        return work(items, 0)
    if _pool is None or _pool_size < threads - 1:
        _pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="coursekit")
        _pool_size = threads - 1
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(1, threads) * total / threads).tolist()
    runs = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    futures = [_pool.submit(work, run, worker) for worker, run in enumerate(runs) if worker]
    try:
        first = work(runs[0], 0)
    finally:
        wait(futures)
    return first + [x for future in futures for x in future.result()]


class Optimizer:
    """Base class: state per parameter (keyed by position), argument checks, in-place stepping.

    Subclasses set their hyperparameters as attributes in ``__init__`` (checked with the
    ``check_*`` helpers and listed in ``hyperparameters``), and implement ``init_state`` and
    ``update``. ``lr`` is an attribute that schedulers may overwrite between steps.
    """

    hyperparameters: tuple[str, ...] = ()
    #: how many scratch arrays (each one slice long) ``update`` receives
    scratch_arrays: int = 2

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.state: dict[int, dict[str, Any]] = {}
        self._scratch: dict[tuple[int, np.dtype], list[np.ndarray]] = {}

    # --- the two methods a subclass provides -------------------------------------------
    def init_state(self, p: np.ndarray) -> dict[str, Any]:
        """Buffers for one parameter array (``step`` is added by the base class)."""
        return {}

    def update(self, p: np.ndarray, g: np.ndarray, s: dict[str, Any], scratch: list) -> None:
        """Apply the update rule in place to the 1-D slice ``p`` (see the module docstring)."""
        raise NotImplementedError

    def begin_step(self, state: dict[str, Any]) -> None:
        """Advance scalar state once per step and parameter (after ``step`` is incremented)."""

    # --- public API ------------------------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate α (a finite float >= 0); schedulers overwrite it."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_nonnegative("lr", value)

    def step(self, params: Params, grads: Params) -> Params:
        """Update ``params`` in place from ``grads`` and return ``params`` (the same object).

        params : one float ndarray or a list of them (any shapes); grads : the same structure,
        shapes and dtypes. State is created on first use of each position. Bad types, counts,
        shapes or dtypes raise ValueError before anything changes. A nan or inf in grads raises
        ValueError naming the first such array; that check runs slice by slice during the
        update (so it costs no extra pass over memory), hence params and state may then be
        partly updated: ``reset()`` and restore the params before going on.
        """
        plist, glist = _as_list(params, grads)
        states = [self._state_for(i, p) for i, p in enumerate(plist)]
        slices, copies = [], []
        for i, (p, g, state) in enumerate(zip(plist, glist, states, strict=True)):
            state["step"] += 1
            self.begin_step(state)
            flat_p = p.reshape(-1) if p.flags.c_contiguous else p.flatten()
            if not p.flags.c_contiguous:
                copies.append((p, flat_p))
            arrays = {k: v.reshape(-1) for k, v in state.items() if isinstance(v, np.ndarray)}
            scalars = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
            work = (i, flat_p, g.reshape(-1), arrays, scalars)
            chunk = max(1, CHUNK_BYTES // p.dtype.itemsize)
            slices += [(work, a, min(a + chunk, p.size)) for a in range(0, p.size, chunk)]
        _in_threads(self._update_slices, slices, [stop - start for _, start, stop in slices])
        for p, flat_p in copies:
            p[...] = flat_p.reshape(p.shape)
        return params

    def reset(self) -> None:
        """Forget all state (momentum buffers, moment estimates, step counts)."""
        self.state.clear()

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the hyperparameters (including ``lr``) and the per-parameter state."""
        hyper = {name: getattr(self, name) for name in ("lr", *self.hyperparameters)}
        return {"hyperparameters": copy.deepcopy(hyper), "state": copy.deepcopy(self.state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (hyperparameters are re-checked)."""
        hyper = state_dict["hyperparameters"]
        expected = {"lr", *self.hyperparameters}
        if set(hyper) != expected:
            raise ValueError(
                f"state_dict hyperparameters {sorted(hyper)} do not match {type(self).__name__}'s "
                f"{sorted(expected)}"
            )
        fresh = type(self)(**{k: v for k, v in hyper.items()})
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "_scratch"})
        self.state = {
            int(i): {
                k: np.array(v, order="C") if isinstance(v, np.ndarray) else v for k, v in s.items()
            }
            for i, s in state_dict["state"].items()
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in ("lr", *self.hyperparameters))
        return f"{type(self).__name__}({args})"

    # --- plumbing ----------------------------------------------------------------------------
    def direction(self, p: np.ndarray, g: np.ndarray, out: np.ndarray) -> np.ndarray:
        """d = ±g + λ·p (minus when ``maximize``; λ = coupled ``weight_decay``).

        Returns ``g`` itself when there is nothing to add, so callers must not write into it.
        """
        wd = getattr(self, "weight_decay", 0.0) if not self._decoupled() else 0.0
        if not wd:
            return np.negative(g, out=out) if getattr(self, "maximize", False) else g
        np.multiply(p, wd, out=out)
        if getattr(self, "maximize", False):
            return np.subtract(out, g, out=out)
        return np.add(out, g, out=out)

    def _decoupled(self) -> bool:
        return bool(getattr(self, "decoupled_weight_decay", False))

    def _state_for(self, i: int, p: np.ndarray) -> dict[str, Any]:
        state = self.state.get(i)
        if state is None:
            state = {"step": 0}
            for k, v in self.init_state(p).items():
                state[k] = np.require(v, requirements="C") if isinstance(v, np.ndarray) else v
            self.state[i] = state
            return state
        for k, v in state.items():
            if isinstance(v, np.ndarray) and (v.shape != p.shape or v.dtype != p.dtype):
                raise ValueError(
                    f"params[{i}] has shape {p.shape} and dtype {p.dtype} but the optimizer's "
                    f"state {k!r} was built for shape {v.shape} and dtype {v.dtype}; "
                    "call reset() to start over"
                )
        return state

    def _scratch_for(self, worker: int, dtype: np.dtype, n: int) -> list[np.ndarray]:
        arrays = self._scratch.get((worker, dtype))
        if arrays is None or arrays[0].size < n:
            arrays = [np.empty(n, dtype=dtype) for _ in range(self.scratch_arrays)]
            self._scratch[(worker, dtype)] = arrays
        return arrays

    def _update_slices(self, slices: list, worker: int) -> list:
        views: dict[tuple[np.dtype, int], list[np.ndarray]] = {}
        for (i, p, g, arrays, scalars), start, stop in slices:
            n, g = stop - start, g[start:stop]
            if not _all_finite(g):
                raise ValueError(
                    f"grads[{i}] contains non-finite values (nan or inf); this step is "
                    "abandoned part-way, so params and state may be partly updated"
                )
            scratch = views.get((p.dtype, n))
            if scratch is None:
                scratch = [a[:n] for a in self._scratch_for(worker, p.dtype, n)]
                views[(p.dtype, n)] = scratch
            s = {k: v[start:stop] for k, v in arrays.items()}
            s.update(scalars)
            self.update(p[start:stop], g, s, scratch)
        return []
