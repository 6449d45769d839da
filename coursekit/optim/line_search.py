r"""Armijo backtracking: the simplest line search that guarantees sufficient decrease.

Along a descent direction d at x (slope gᵀd < 0, g = ∇f(x)), try t = t₀, ρt₀, ρ²t₀, … and
accept the first t with the **Armijo** (sufficient-decrease) condition

    f(x + t d) ≤ f(x) + c₁ t gᵀd          (0 < c₁ < 1, typically 1e-4)

It needs only function values (no gradient at the trial points). The strong Wolfe search,
which also bounds the slope at the accepted point, is ``coursekit.optim.lbfgs.strong_wolfe``
(torch's ``_strong_wolfe``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class LineSearchResult(NamedTuple):
    """The accepted step t, f(x + t d), and how many evaluations of f were spent."""

    t: float
    value: float
    evaluations: int


def armijo_backtracking(f: Callable[[np.ndarray], float], x: np.ndarray, d: np.ndarray,
                        value: float, slope: float, t0: float = 1.0, rho: float = 0.5,
                        c1: float = 1e-4, max_evals: int = 60) -> LineSearchResult:
    """The first t in t₀, ρt₀, ρ²t₀, … with f(x + t d) ≤ value + c₁ t · slope.

    ``value`` = f(x) and ``slope`` = ∇f(x)ᵀd are passed in (the caller already has them).
    Raises ValueError if d is not a descent direction or no step is accepted in
    ``max_evals`` evaluations.
    """
    if not slope < 0:
        raise ValueError(f"d must be a descent direction (slope ∇f(x)ᵀd < 0); got slope {slope}")
    if not (0 < c1 < 1 and 0 < rho < 1 and t0 > 0):
        raise ValueError(f"need 0 < c1 < 1, 0 < rho < 1, t0 > 0; got c1={c1}, rho={rho}, t0={t0}")
    t = t0
    for evaluations in range(1, max_evals + 1):
        trial = float(f(x + t * d))
        if trial <= value + c1 * t * slope:
            return LineSearchResult(t, trial, evaluations)
        t *= rho
    raise ValueError(f"no step satisfied the Armijo condition in {max_evals} evaluations "
                     f"(last t = {t / rho:.3g}); is f smooth along d?")
