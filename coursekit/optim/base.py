"""What every optimizer shares: declared hyperparameters, state per parameter, one ``step``.

The contract an optimizer author learns is ``Optimizer``'s docstring; the rest of this module
is plumbing a reader of an update rule can skip.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Annotated, Any, ClassVar

import numpy as np

Params = np.ndarray | Sequence[np.ndarray]

#: bytes of one array per slice of a large elementwise step: the few arrays an update rule
#: touches (x, g, its state and its temporaries) stay in cache while the rule runs on a slice.
CHUNK_BYTES = 256 * 1024
#: threads a large elementwise step is split between (numpy releases the GIL inside ufuncs)
THREADS = min(os.cpu_count() or 1, 4)
#: steps with fewer elements than this run in the calling thread
PARALLEL_MIN_SIZE = 1 << 20


# --- checks, used as type annotations of hyperparameters ---------------------------------------
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


def check_betas(name: str, betas: Sequence[float]) -> tuple[float, float]:
    """Return ``betas`` as two floats in [0, 1), or raise ValueError naming the bad one."""
    if not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2); got {betas!r}")
    return check_unit_interval(f"{name}[0]", betas[0]), check_unit_interval(f"{name}[1]", betas[1])


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool, or raise ValueError for anything but a bool-like 0/1."""
    if value not in (True, False):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


NonNegative = Annotated[float, check_nonnegative]
UnitInterval = Annotated[float, check_unit_interval]
Betas = Annotated[tuple[float, float], check_betas]
Flag = Annotated[bool, check_flag]


def moving_average(avg: np.ndarray, x: np.ndarray, beta: float) -> None:
    """avg ← β·avg + (1 − β)·x, in place."""
    avg *= beta
    avg += (1.0 - beta) * x


class Optimizer:
    """Base class of every optimizer. The contract, in full:

    - Decorate the class with ``@dataclass(eq=False)`` and declare each hyperparameter once,
      as a field with its default (``lr`` first, torch's names and order). Annotate a field
      with a check (``NonNegative``, ``UnitInterval``, ``Betas``, ``Flag``, or any
      ``Annotated[T, check]`` with ``check(name, value) -> value``): it runs on every
      assignment, in ``__init__`` and later (schedulers write ``opt.lr``). Checks that involve
      several fields go in ``__post_init__`` (call ``super().__post_init__()``).
    - ``init_state(x) -> dict``: the state of one parameter array x, with torch's names
      (buffers shaped like x, or floats). ``step`` adds ``"step"``, the step count k.
    - ``update(x, g, s)``: one step of the rule for one parameter: change x in place
      (``x -= …``) from the gradient g (never write into g) and the state s, whose ``"step"``
      is already incremented (k = 1 on the first step). Update buffers in place or rebind
      them (``s["v"] = …``, same shape); rebind float state (``s["mu"] = …``).
    - ``elementwise = True`` (the default) promises the rule treats every entry on its own:
      a large x then arrives as 1-D slices (one call per slice, possibly in several threads),
      each with its own ``s`` holding the matching slices of the buffers and the same floats.
      Rules that need the whole tensor (a norm, a matrix product) set it to False.
    - ``d = self.decayed_direction(x, g)`` gives the direction of most rules, d = ±g + λx,
      from the fields ``weight_decay``, ``maximize`` and ``decoupled_weight_decay`` if the
      class declares them (they are off otherwise).

    ``step(params, grads)`` checks its arguments, names what is wrong, and calls ``update``.
    """

    elementwise: ClassVar[bool] = True
    # what decayed_direction reads in rules that declare no such field: nothing to apply
    weight_decay = 0.0
    maximize = False
    decoupled_weight_decay = False
    _checks: ClassVar[dict[str, Callable[[str, Any], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls, include_extras=True)
        cls._checks = {name: hint.__metadata__[0] for name, hint in hints.items()
                       if typing.get_origin(hint) is Annotated}  # fmt: skip

    def __setattr__(self, name: str, value: Any) -> None:
        check = self._checks.get(name)
        object.__setattr__(self, name, value if check is None else check(name, value))

    def __post_init__(self) -> None:
        self.state: dict[int, dict[str, Any]] = {}
        self._layout: dict[int, tuple] = {}

    # --- the two methods a subclass provides -------------------------------------------
    def init_state(self, x: np.ndarray) -> dict[str, Any]:
        """The state of one parameter array (``"step"`` is added by ``step``)."""
        return {}

    def update(self, x: np.ndarray, g: np.ndarray, s: dict[str, Any]) -> None:
        """One step of the update rule, in place on x (see the class docstring)."""
        raise NotImplementedError

    # --- for update rules ------------------------------------------------------------------
    def decayed_direction(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        r"""The direction d to step along: g with ``maximize`` and weight decay applied.

            d = ±g + λx        (λ = weight_decay, the L2 penalty's gradient; −g if maximize)

        With ``decoupled_weight_decay`` (AdamW's form) the decay is a step of its own on x,
        made here in place, and stays out of d (and so out of any moment estimate):

            x ← (1 − αλ) x,    d = ±g

        Never writes into g; d is g itself when there is nothing to apply.
        """
        if self.weight_decay and self.decoupled_weight_decay:
            x *= 1.0 - self.lr * self.weight_decay
        d = -g if self.maximize else g
        if self.weight_decay and not self.decoupled_weight_decay:
            d = d + self.weight_decay * x
        return d

    # --- public API ------------------------------------------------------------------------
    def step(self, params: Params, grads: Params) -> Params:
        """Update ``params`` in place from ``grads`` and return ``params`` (the same object).

        params : one float ndarray or a list of them (any shapes); grads : the same structure,
        shapes and dtypes. State is created on first use of each position. Bad types, counts,
        shapes, dtypes or a nan/inf in grads raise ValueError before anything changes; only in
        steps of more than CHUNK_BYTES per array is the finiteness check made slice by slice
        during the update (no extra pass over memory), so params and state may then be partly
        updated: ``reset()`` and restore the params before going on.
        """
        if (type(params) is np.ndarray and type(grads) is np.ndarray
                and params.nbytes <= CHUNK_BYTES):  # fmt: skip
            return self._step_one(params, grads)  # the small case (the race steps 2-vectors)
        pairs = _pairs(params, grads)
        states = [self._state_for(i, x) for i, (x, _) in enumerate(pairs)]
        large = {i for i, ((x, _), s) in enumerate(zip(pairs, states, strict=True))
                 if self._sliced(x, s)}
        for i, (_, g) in enumerate(pairs):
            if i not in large and not _all_finite(g):
                raise ValueError(f"grads[{i}] contains non-finite values (nan or inf)")
        try:
            for i, ((x, g), s) in enumerate(zip(pairs, states, strict=True)):
                s["step"] += 1
                if i not in large:
                    self.update(x, g, s)
            if large:
                self._update_in_slices([(i, *pairs[i], states[i]) for i in sorted(large)])
        except KeyError as missing:
            raise self._missing_state(missing) from None
        return params

    def _step_one(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``step`` for one small array, with the same checks and as little else as possible."""
        if x.dtype.kind != "f" or g.shape != x.shape or g.dtype != x.dtype:
            _pairs([x], [g])  # raises, naming the problem
        s = self.state.get(0)
        if s is None or self._layout.get(0) != (x.shape, x.dtype):
            s = self._state_for(0, x)
        if not _all_finite(g):
            raise ValueError("grads[0] contains non-finite values (nan or inf)")
        s["step"] += 1
        try:
            self.update(x, g, s)
        except KeyError as missing:
            s["step"] -= 1
            raise self._missing_state(missing) from None
        return x

    def _missing_state(self, key: KeyError) -> ValueError:
        return ValueError(f"{type(self).__name__}'s state has no {key}: an option was switched "
                          "on after the state was created; call reset() to start over")

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """{name: value} of the declared hyperparameters, ``lr`` included."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def reset(self) -> None:
        """Forget all state (momentum buffers, moment estimates, step counts)."""
        self.state.clear()
        self._layout.clear()

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the hyperparameters and of the per-parameter state."""
        return {"hyperparameters": dict(self.hyperparameters),
                "state": copy.deepcopy(self.state)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (hyperparameters are re-checked)."""
        hyper, expected = state_dict["hyperparameters"], set(self.hyperparameters)
        if set(hyper) != expected:
            raise ValueError(f"state_dict hyperparameters {sorted(hyper)} do not match "
                             f"{type(self).__name__}'s {sorted(expected)}")
        for name, value in hyper.items():
            setattr(self, name, value)
        self.__post_init__()
        self.state = {int(i): copy.deepcopy(s) for i, s in state_dict["state"].items()}

    # --- plumbing ----------------------------------------------------------------------------
    def _state_for(self, i: int, x: np.ndarray) -> dict[str, Any]:
        state, layout = self.state.get(i), (x.shape, x.dtype)
        if state is None:
            state = {"step": 0, **self.init_state(x)}
            self.state[i] = state
            self._layout[i] = layout
        elif self._layout.setdefault(i, layout) != layout:
            raise ValueError(
                f"params[{i}] has shape {x.shape} and dtype {x.dtype} but the optimizer's "
                f"state was built for shape {self._layout[i][0]} and dtype "
                f"{self._layout[i][1]}; call reset() to start over")
        return state

    def _sliced(self, x: np.ndarray, s: dict[str, Any]) -> bool:
        """Whether this parameter's step runs in slices: large, elementwise, contiguous."""
        return (self.elementwise and x.nbytes > CHUNK_BYTES and x.flags.c_contiguous
                and all(v.shape == x.shape and v.flags.c_contiguous
                        for v in s.values() if isinstance(v, np.ndarray)))  # fmt: skip

    def _update_in_slices(self, work: list) -> None:
        """Run ``update`` on cache-sized slices of large contiguous arrays, in threads."""
        slices, firsts = [], []
        for i, x, g, s in work:
            flat = {k: v.reshape(-1) if isinstance(v, np.ndarray) else v for k, v in s.items()}
            chunk = max(1, CHUNK_BYTES // x.itemsize)
            firsts.append((s, len(slices)))
            slices += [(i, x.reshape(-1), g.reshape(-1), flat, a, min(a + chunk, x.size))
                       for a in range(0, x.size, chunk)]  # fmt: skip
        results = _in_threads(self._update_slices, slices, [b - a for *_, a, b in slices])
        for s, first in firsts:  # float state: every slice computed the same new value
            s.update({k: v for k, v in results[first].items() if not isinstance(v, np.ndarray)})

    def _update_slices(self, slices: list) -> list[dict[str, Any]]:
        out = []
        for i, x, g, flat, a, b in slices:
            g = g[a:b]
            if not _all_finite(g):
                raise ValueError(
                    f"grads[{i}] contains non-finite values (nan or inf); this large step is "
                    "abandoned part-way, so params and state may be partly updated")
            views = {k: v[a:b] if isinstance(v, np.ndarray) else v for k, v in flat.items()}
            s = dict(views)
            self.update(x[a:b], g, s)
            for k, v in s.items():  # buffers the rule rebound instead of updating in place
                if isinstance(v, np.ndarray) and v is not views[k]:
                    views[k][...] = v
            out.append(s)
        return out


# --- argument checks and threads ----------------------------------------------------------------
def _pairs(params: Params, grads: Params) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pair up params and grads, or raise ValueError naming the bad type, count, shape, dtype."""
    if isinstance(params, np.ndarray):
        plist, glist = [params], [np.asarray(grads)]
    elif isinstance(params, (list, tuple)):
        if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
            raise ValueError(f"grads must be a list of arrays like params (a list of "
                             f"{len(params)} arrays); got {type(grads).__name__}")
        plist, glist = list(params), [np.asarray(g) for g in grads]
    else:
        raise ValueError("params must be a numpy array or a list of numpy arrays (updated in "
                         f"place); got {type(params).__name__}")
    if len(plist) != len(glist):
        raise ValueError(f"grads has {len(glist)} arrays but params has {len(plist)}")
    for i, (p, g) in enumerate(zip(plist, glist, strict=True)):
        if not isinstance(p, np.ndarray):
            raise ValueError(
                f"params[{i}] must be a numpy array (updated in place); got {type(p).__name__}")
        if p.dtype.kind != "f":
            raise ValueError(
                f"params[{i}] has dtype {p.dtype}; optimizers update parameters in place and "
                "need a floating-point array (e.g. x.astype(np.float64))")
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
        if g.dtype != p.dtype:
            raise ValueError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has dtype {p.dtype}")
    return list(zip(plist, glist, strict=True))


def _all_finite(g: np.ndarray) -> bool:
    """Whether every entry of g is finite, with one cheap reduction for large arrays.

    g·g is finite iff every entry is, or it overflowed (then look closer).
    """
    flat = g.reshape(-1)
    if flat.size <= 32:
        return all(map(math.isfinite, flat.tolist()))
    with np.errstate(over="ignore", invalid="ignore"):
        return math.isfinite(flat @ flat) or bool(np.isfinite(flat).all())


_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _in_threads(work: Callable[[list], list], items: list, sizes: list[int]) -> list:
    """``work(run)`` over THREADS contiguous runs of ``items`` of about equal total size.

    Small jobs (fewer than PARALLEL_MIN_SIZE elements) run in the calling thread. Returns the
    concatenated results, in the order of ``items``.
    """
    global _pool, _pool_size
    total, threads = sum(sizes), min(THREADS, len(items))
    if threads <= 1 or total < PARALLEL_MIN_SIZE:
        return work(items)
    if _pool is None or _pool_size < threads - 1:
        _pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="coursekit")
        _pool_size = threads - 1
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(1, threads) * total / threads).tolist()
    runs = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    futures = [_pool.submit(work, run) for run in runs[1:]]
    try:
        first = work(runs[0])
    finally:
        wait(futures)
    return first + [x for future in futures for x in future.result()]
